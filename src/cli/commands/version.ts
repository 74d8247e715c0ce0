/**
 * `rnx version`: this client's version and, when it can be reached, the server's (with the node it
 * was reached as). Like `docker version`, the exit status is 1 when the server cannot be asked.
 * `rnx --version`/`-v` and `rnx version --client` show only the client and never connect: scripts
 * and package checks call them where no server exists, and they must answer at once.
 */
import { describeError } from '../../shared/errors';
import { ClientCommand } from '../base';
import { Flag } from '../flags';
import { clientSide, sideLine as line, type SideJson } from '../version-info';

/** How long to wait for the server before reporting it unreachable. */
const DEADLINE_MS = 5000;

/** The server's side, with its host name. */
type ServerJson = SideJson & { hostname: string };

/** Show versions. */
export class VersionCommand extends ClientCommand {
  static override paths = [['version'], ['--version'], ['-v']];
  static override usage = ClientCommand.Usage({
    category: 'Client',
    description: 'Show the client and server versions',
    details: `
      The server's version comes from the node chosen with --node (default: the default node). With --json:
      {client, server, node, address, serverError}; server is null (and serverError says why) when it cannot be asked.
    `,
    examples: [
      ['Client and server', 'rnx version'],
      ['The client only, without connecting', 'rnx version --client   (or: rnx --version)'],
    ],
  });

  clientOnly = Flag.boolean('--client', 'Show only the client version; do not contact the server');

  async run(): Promise<number> {
    const client = clientSide();
    const clientOnly = this.clientOnly || this.path[0] === '--version' || this.path[0] === '-v';
    const asked = clientOnly ? undefined : await this.askServer();
    if (this.wantJson) {
      this.json({ client, server: asked?.server ?? null, node: asked?.node ?? null, address: asked?.address ?? null, serverError: asked?.error ?? null });
    } else {
      this.out(`Client: ${line(client)}`);
      if (asked?.server) this.out(`Server: ${line(asked.server)}, host ${asked.server.hostname}, node '${asked.node}' at ${asked.address}`);
    }
    if (asked?.error) {
      this.context.stderr.write(`rnx: server version unknown: ${asked.error}\n`);
      return 1;
    }
    return 0;
  }

  /** The server's version, or why it could not be had. */
  private async askServer(): Promise<{ server?: ServerJson; node?: string; address?: string; error?: string }> {
    const where: { node?: string; address?: string } = {};
    try {
      return await this.withNode(async (c) => {
        Object.assign(where, { node: c.node.name, address: c.node.address });
        const v = await c.info.getServerVersion({}, { signal: AbortSignal.timeout(DEADLINE_MS) });
        const server = { program: v.component || 'joblet', version: v.version, commit: v.gitCommit, nodeVersion: v.nodeVersion, platform: v.platform, hostname: v.hostname };
        return { ...where, server };
      });
    } catch (err) {
      const timedOut = ['AbortError', 'TimeoutError'].includes((err as Error).name);
      return { ...where, error: timedOut ? `the server did not answer within ${DEADLINE_MS / 1000} s` : describeError(err) };
    }
  }
}
