/**
 * The C library handle and the one error rule for every wrapper: a call that returns -1 throws
 * SyscallError(op, args, errno name). Function declarations are made lazily and cached, so a
 * process pays only for the calls it uses.
 */
import * as os from 'node:os';
import { SyscallError } from '../../shared/errors';
import { koffi } from './koffi';

type KoffiFn = (...args: unknown[]) => unknown;
type Lib = ReturnType<ReturnType<typeof koffi>['load']>;

let lib: Lib | undefined;
const fns = new Map<string, KoffiFn>();

/** A libc function declared from its C prototype (cached by prototype text). */
export function fn(prototype: string): KoffiFn {
  let f = fns.get(prototype);
  if (!f) {
    lib ??= koffi().load('libc.so.6');
    f = lib.func(prototype) as KoffiFn;
    fns.set(prototype, f);
  }
  return f;
}

const errnoNames = new Map<number, string>();
for (const [name, num] of Object.entries(os.constants.errno)) {
  // Several names share a number (EAGAIN/EWOULDBLOCK); keep the first, the conventional one.
  if (!errnoNames.has(num)) errnoNames.set(num, name);
}

/** Symbolic name of an errno value, e.g. 1 → "EPERM". */
export function errnoName(errno: number): string {
  return errnoNames.get(errno) ?? `errno ${errno}`;
}

/** errno of the last call made through koffi on this thread. */
export function lastErrno(): number {
  return koffi().errno();
}

/**
 * Throws SyscallError when a libc call returned a negative value; returns the result otherwise.
 * `args` may be a function, so a call on a hot path formats its arguments only when it fails.
 */
export function check(op: string, args: string | (() => string), result: unknown): number {
  const n = typeof result === 'bigint' ? Number(result) : (result as number);
  if (n < 0) {
    const errno = errnoName(lastErrno());
    throw new SyscallError(op, typeof args === 'function' ? args() : args, errno);
  }
  return n;
}

/** The raw `long syscall(long number, ...)`, for calls glibc does not wrap (or wraps too recently). */
export function syscall(nr: number, ...typedArgs: unknown[]): number {
  return Number(fn('long syscall(long nr, ...)')(nr, ...typedArgs));
}

/** Renders a flag word as "A|B|0x..." from a name → bit table, for error messages. */
export function flagNames(value: number, table: Record<string, number>): string {
  const names: string[] = [];
  let rest = value;
  for (const [name, bit] of Object.entries(table)) {
    if (bit !== 0 && (rest & bit) === bit) {
      names.push(name);
      rest &= ~bit;
    }
  }
  if (rest !== 0 || names.length === 0) names.push(`0x${(rest >>> 0).toString(16)}`);
  return names.join('|');
}
