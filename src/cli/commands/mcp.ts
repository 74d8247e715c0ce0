/**
 * `rnx mcp`: an MCP server on stdio that gives AI agents joblet's jobs, volumes and networks as
 * tools. The SDK and the tools are required only here, so no other command pays for loading them.
 */
import { BaseCommand } from '../base';
import { Flag, GLOBAL_SECTION } from '../flags';

/** Serve MCP on stdio. */
export class McpCommand extends BaseCommand {
  static override paths = [['mcp']];
  static override usage = BaseCommand.Usage({
    category: 'Console and agents',
    description: 'Serve joblet to AI agents as MCP tools, on stdin/stdout',
    details: `
      Speaks the Model Context Protocol on stdin/stdout, for an MCP client (Claude Desktop, Claude Code, Cursor, …) to start
      as a subprocess. The tools act on one node of the client config (--node, else the default) with its certificate: a
      viewer certificate makes every write tool fail with the server's refusal. See "AI agents (MCP)" in the README for
      client configuration.
    `,
    examples: [
      ['Serve the default node', 'rnx mcp'],
      ['Serve a read-only node', 'rnx mcp --node viewer'],
    ],
  });

  // No --json: stdout carries the protocol.
  configPath = Flag.string('--config', 'PATH', "Client config file (default: $RNX_CONFIG, then the places 'rnx config-help' lists)", { section: GLOBAL_SECTION });
  node = Flag.string('--node', 'NAME', 'Node whose jobs the tools act on (default: the default node)', { section: GLOBAL_SECTION });

  async run(): Promise<number> {
    const { runMcpServer } = require('../../mcp/server') as typeof import('../../mcp/server');
    await runMcpServer({ config: this.configPath, node: this.node, stdin: this.context.stdin, stdout: this.context.stdout });
    return 0;
  }
}
