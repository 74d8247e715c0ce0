/**
 * How this program re-executes itself: the daemon starts each job's init stage as a fresh process
 * of its own executable (runc's self re-exec `init`).
 */

/** First argument that selects the hidden sandbox init stage. Not a user command. */
export const INIT_STAGE_ARG = '__joblet-init';

/** True when running as a Node single executable application. */
export function isSingleExecutable(): boolean {
  try {
    // node:sea exists on Node ≥ 20; isSea() is false when run as a plain script.
    return (require('node:sea') as { isSea(): boolean }).isSea();
  } catch {
    return false;
  }
}

/** argv prefix that starts this same program again: [binary] or [node, ...execArgv, script]. */
export function selfCommand(): string[] {
  // A SEA's execPath is the program itself (symlinks resolved, so never the `rnx` link) and its
  // execArgv is fixed at build time, so nothing else is needed.
  if (isSingleExecutable()) return [process.execPath];
  const script = process.argv[1];
  if (!script) throw new Error('cannot tell which script is running (process.argv[1] is empty)');
  // execArgv carries loader flags (tsx's --require/--import in dev runs) without which the script cannot load.
  return [process.execPath, ...process.execArgv, script];
}
