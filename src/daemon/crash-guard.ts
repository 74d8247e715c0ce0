/**
 * Last-resort handlers. A promise rejection nobody handled is a bug, but the state it leaves is
 * still consistent (every job's own run catches its errors): log it loudly and keep serving. An
 * uncaught exception may have stopped a function half way, so the daemon's state can no longer be
 * trusted: log it and exit with a clear reason and code 70, so that systemd restarts the daemon,
 * whose start-up recovery then cleans up after the jobs of this run.
 */

/** Exit code when the daemon gives up after an uncaught exception (EX_SOFTWARE). */
export const CRASH_EXIT_CODE = 70;

/** Install the handlers; returns a function that removes them. */
export function installCrashGuard(log: (msg: string) => void, exit: (code: number) => void = (c) => process.exit(c)): () => void {
  const onRejection = (reason: unknown) => {
    log(`BUG: unhandled promise rejection (the daemon keeps running): ${describe(reason)}`);
  };
  const onException = (err: unknown) => {
    log(`FATAL: uncaught exception; the daemon's state cannot be trusted any more, exiting with code ${CRASH_EXIT_CODE} so that it is restarted: ${describe(err)}`);
    exit(CRASH_EXIT_CODE);
  };
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  return () => {
    process.off('unhandledRejection', onRejection);
    process.off('uncaughtException', onException);
  };
}

function describe(e: unknown): string {
  return e instanceof Error ? (e.stack ?? e.message) : String(e);
}
