/**
 * The start of an rnx process: one-line reports for anything that escapes a command, then the
 * command. The entry of the `rnx` part (src/shared/parts.ts), used by src/main.ts (the `rnx` link
 * to joblet) and src/client.ts (the client-only executables).
 */
import { reportError } from './base';
import { runClient } from './rnx';

/** Run rnx with `argv` (without node and script); resolves with the exit code. */
export async function startClient(argv: string[]): Promise<number> {
  // Anything that escapes the command (a bug) is one line too; the stack only with RNX_DEBUG=1.
  const crash = (err: unknown) => process.exit(reportError(err, { stderr: process.stderr, env: process.env, program: 'rnx' }));
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);
  try {
    return await runClient(argv);
  } catch (err) {
    return reportError(err, { stderr: process.stderr, env: process.env, program: 'rnx' });
  }
}

/**
 * Used only by the build (build/code-cache.cjs), before it takes this part's V8 code cache: load
 * the client layer that every command talking to a server loads later, so that its code is
 * compiled into the cache instead of at each start. Loading it runs no command and opens nothing.
 */
export function warmUp(): void {
  require('./client');
}
