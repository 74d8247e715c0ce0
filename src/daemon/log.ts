/** The daemon's log: one line per event on stderr, with time and level (systemd's journal keeps it). */

/** Levels in increasing severity. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: LogLevel[] = ['debug', 'info', 'warn', 'error'];

/** A logger bound to a minimum level. */
export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

/** Make a logger writing to `out` (stderr by default). */
export function createLogger(level: string, out: NodeJS.WritableStream = process.stderr): Logger {
  const min = Math.max(0, ORDER.indexOf(level.toLowerCase() as LogLevel));
  const at = (l: LogLevel) => (msg: string) => {
    if (ORDER.indexOf(l) >= min) out.write(`${new Date().toISOString()} ${l.toUpperCase().padEnd(5)} ${msg}\n`);
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
