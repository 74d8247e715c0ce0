/**
 * How rnx behaves on terminals and in pipes: colour only on a terminal and never with NO_COLOR
 * (https://no-color.org) or TERM=dumb; a closed pipe (`rnx log X | head -1`) ends rnx quietly with
 * the status of a process killed by SIGPIPE, as other Unix tools do; stack traces only with
 * RNX_DEBUG=1.
 */

/** Exit status of a process killed by SIGPIPE (128 + 13), what shells report for `yes | head -1`. */
export const EXIT_PIPE = 141;

/** Exit status for a bug in rnx itself (EX_SOFTWARE). */
export const EXIT_INTERNAL = 70;

/** Should output written to `stream` be coloured? */
export function colourFor(stream: NodeJS.WritableStream, env: NodeJS.ProcessEnv): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.TERM === 'dumb') return false;
  return (stream as NodeJS.WriteStream).isTTY === true;
}

/** Text decorations, or none. */
export interface Style {
  bold(s: string): string;
  dim(s: string): string;
}

/** Decorations for a coloured or a plain stream. */
export function style(colour: boolean): Style {
  if (!colour) return { bold: (s) => s, dim: (s) => s };
  return { bold: (s) => `\x1b[1m${s}\x1b[22m`, dim: (s) => `\x1b[2m${s}\x1b[22m` };
}

/** Is `stream` a terminal? */
export function isTerminal(stream: NodeJS.WritableStream | NodeJS.ReadableStream): boolean {
  return (stream as NodeJS.WriteStream).isTTY === true;
}

/** The variable that turns stack traces on for a program: RNX_DEBUG for rnx, JOBLET_DEBUG for joblet. */
export function debugVariable(program: string): string {
  return `${program.toUpperCase()}_DEBUG`;
}

/** RNX_DEBUG=1 (JOBLET_DEBUG=1 for joblet): show stack traces of internal errors. */
export function debugEnabled(env: NodeJS.ProcessEnv, program = 'rnx'): boolean {
  const v = env[debugVariable(program)];
  return v === '1' || v === 'true';
}

/**
 * End the process quietly with EXIT_PIPE when the reader of stdout or stderr goes away. Without
 * this, Node reports the EPIPE as an unhandled 'error' event with a stack trace.
 */
export function exitQuietlyOnClosedPipe(streams: NodeJS.WritableStream[], exit: (code: number) => void): void {
  for (const s of streams) {
    s.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') exit(EXIT_PIPE);
      else throw err;
    });
  }
}
