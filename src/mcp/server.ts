/**
 * `rnx mcp`: joblet as tools for AI agents, over MCP on stdio (the official TypeScript SDK). Every
 * tool calls the node through the same client layer as the rnx commands, and a failure comes back
 * as a tool error carrying the one-line message rnx prints. stdout belongs to the protocol: nothing
 * else may write there.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { z } from 'zod';
import { NodePool } from '../cli/node-pool';
import { ConfigError, describeError } from '../shared/errors';
import { version } from '../shared/version';
import { errorResult, type ToolContext, type ToolDef } from './tool';
import { TOOLS } from './tools/index';

/** How to start the server. */
export interface McpOptions {
  config?: string;
  node?: string;
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
}

/** Serve MCP until the client closes stdin (or the process is told to stop). */
export async function runMcpServer(opts: McpOptions): Promise<void> {
  const pool = new NodePool(opts.config);
  const node = opts.node ?? pool.defaultNode();
  if (node === undefined) throw new ConfigError(`no default node in ${pool.configPath}: pass --node NAME (available: ${pool.list().map((n) => n.name).join(', ')})`);
  pool.node(node);
  const info = pool.list().find((n) => n.name === node)!;
  const server = new McpServer(
    { name: 'joblet', version: version() },
    {
      capabilities: { tools: {} },
      instructions:
        `Tools of the joblet node '${node}' (${info.address}, ${info.role} certificate${info.readOnly ? ': read-only, changes are refused' : ''}). ` +
        'joblet runs commands in isolated sandboxes with resource limits; use joblet_run_job with wait: true for a quick command and its output, ' +
        'or without wait for long jobs, then joblet_get_job_status and joblet_get_job_logs.',
    },
  );
  for (const tool of TOOLS) register(server, tool, pool, node);
  const transport = new StdioServerTransport(opts.stdin as never, opts.stdout as never);
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
    opts.stdin.once('end', () => resolve());
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
  await server.connect(transport);
  await closed;
  await server.close();
  pool.close();
}

/** McpServer.registerTool for a schema whose type is erased (its generic form is too deep for tsc here). */
type RegisterTool = (
  name: string,
  config: { title: string; description: string; inputSchema: z.ZodRawShape; annotations: Record<string, unknown> },
  cb: (args: Record<string, unknown>, extra: { signal: AbortSignal }) => Promise<CallToolResult>,
) => unknown;

function register(server: McpServer, tool: ToolDef, pool: NodePool, node: string): void {
  (server.registerTool.bind(server) as unknown as RegisterTool)(
    tool.name,
    {
      title: tool.title,
      description: tool.description,
      inputSchema: tool.input,
      annotations: { title: tool.title, readOnlyHint: !tool.write, destructiveHint: tool.destructive ?? false, openWorldHint: false },
    },
    async (args: Record<string, unknown>, extra: { signal: AbortSignal }): Promise<CallToolResult> => {
      const ctx: ToolContext = { node, pool, signal: extra.signal, call: (fn) => pool.call(node, fn) };
      try {
        return await tool.run(args, ctx);
      } catch (err) {
        return errorResult(describeError(err));
      }
    },
  );
}
