/**
 * `rnx admin`: the web console, served by this rnx process until Ctrl-C. The console's code is
 * required only here, so no other command pays for loading it.
 */
import { hostname } from 'node:os';
import { InvalidArgumentError } from '../../shared/errors';
import { ClientCommand } from '../base';
import { Flag } from '../flags';

/** Serve the web console. */
export class AdminCommand extends ClientCommand {
  static override paths = [['admin']];
  static override usage = ClientCommand.Usage({
    category: 'Console and agents',
    description: 'Serve the web console for the nodes of the client config',
    details: `
      Serves a web console (jobs, live logs, a form to run jobs, volumes, networks) from this process until Ctrl-C. It talks
      to the nodes of the client config with their certificates; with a viewer certificate the console is read-only.

      It listens on 127.0.0.1 by default and then answers only to localhost. With --bind on any other address it requires
      an access token: one is made and printed once (or give your own with --token); the first visit with ?token=… keeps
      it in a cookie. On a machine shared with other users, give --token on loopback too.

      With --json it prints one line {status, url, bindAddress, port, node, readOnly, browserOpened} once it listens.
    `,
    examples: [
      ['On this machine', 'rnx admin --open'],
      ['For another node of the config', 'rnx admin --node staging'],
      ['Reachable from the network (prints the URL with its token)', 'rnx admin --bind 0.0.0.0 --port 8080'],
    ],
  });

  port = Flag.stringWithDefault('-p,--port', 'PORT', '5173', 'Port to listen on (0 = any free port; default 5173)');
  bind = Flag.stringWithDefault('-b,--bind', 'ADDRESS', '127.0.0.1', 'Address to listen on (default 127.0.0.1; anything else needs a token)');
  open = Flag.boolean('--open', 'Open the console in the default browser');
  token = Flag.string('--token', 'TOKEN', 'Access token (at least 16 characters); made up and printed when --bind is not loopback');

  async run(): Promise<number> {
    const port = parsePort(this.port);
    const { startConsole } = require('../../console/server') as typeof import('../../console/server');
    const { checkToken, isLoopbackBind, newToken } = require('../../console/security') as typeof import('../../console/security');
    const token = this.token !== undefined ? checkToken(this.token) : isLoopbackBind(this.bind) ? undefined : newToken();
    const srv = await startConsole({ config: this.configPath, node: this.node, bind: this.bind, port, token });
    const browserOpened = this.open ? openBrowser(srv.url) : false;
    if (this.wantJson) {
      this.context.stdout.write(`${JSON.stringify({ status: 'listening', url: srv.url, bindAddress: this.bind, port: srv.port, node: srv.node, readOnly: srv.readOnly, browserOpened })}\n`);
    } else {
      this.out(`joblet console for node '${srv.node}'${srv.readOnly ? ' (read-only: viewer certificate)' : ''}`);
      this.out(`  ${displayUrl(srv.url, this.bind)}`);
      if (token && this.token === undefined) this.out('  The access token is in this URL and is shown only now; the first visit keeps it in a cookie.');
      if (this.open && !browserOpened) this.out('  (could not open a browser: open the URL yourself)');
      this.out('Press Ctrl-C to stop.');
    }
    await untilSignal();
    await srv.close();
    return 0;
  }
}

/** The URL to show a person: a wildcard bind is reached by this machine's name, not 0.0.0.0. */
function displayUrl(url: string, bind: string): string {
  if (bind !== '0.0.0.0' && bind !== '::' && bind !== '[::]') return url;
  const u = new URL(url);
  u.hostname = hostname();
  return u.toString();
}

function parsePort(text: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65535) throw new InvalidArgumentError(`--port ${text}: use a port 1-65535, or 0 for any free port`);
  return Number(text);
}

/** Resolves on the first SIGINT or SIGTERM. */
function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
}

/** Start the desktop's browser on `url`; false when there is none to start. */
function openBrowser(url: string): boolean {
  const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  try {
    // Required here: child_process (and the dgram it loads) would otherwise cost every rnx start.
    const { spawn } = require('node:child_process') as typeof import('node:child_process');
    const child = spawn(opener, [url], { detached: true, stdio: 'ignore' });
    child.on('error', () => undefined);
    child.unref();
    return child.pid !== undefined;
  } catch {
    return false;
  }
}
