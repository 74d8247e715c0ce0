/** Process calls: sethostname(2), setsid(2), chdir(2), umask(2), prlimit(2), execve(2). */
import { check, fn } from './libc';

/** sethostname(2) in the calling thread's UTS namespace. */
export function sethostname(name: string): void {
  check('sethostname', name, fn('int sethostname(const char *name, size_t len)')(name, Buffer.byteLength(name)));
}

/** setsid(2): a new session and process group with no controlling terminal. */
export function setsid(): void {
  check('setsid', '', fn('int setsid(void)')());
}

/** chdir(2) of the calling thread (libc, not process.chdir, so no cached cwd can go stale). */
export function chdir(dir: string): void {
  check('chdir', dir, fn('int chdir(const char *path)')(dir));
}

/** umask(2); returns the previous mask. */
export function umask(mask: number): number {
  return fn('uint32_t umask(uint32_t mask)')(mask) as number;
}

/** RLIM_INFINITY as the kernel spells it. */
export const RLIM_INFINITY = 0xffffffffffffffffn;

/** prlimit(2) on the calling process: sets soft and hard limits of one resource. */
export function setrlimit(resource: number, name: string, soft: bigint, hard: bigint): void {
  const lim = Buffer.alloc(16); // struct rlimit { rlim_t rlim_cur, rlim_max }
  lim.writeBigUInt64LE(soft, 0);
  lim.writeBigUInt64LE(hard, 8);
  const show = (v: bigint): string => (v === RLIM_INFINITY ? 'unlimited' : String(v));
  const f = fn('int prlimit(int pid, int resource, void *new_limit, void *old_limit)');
  check('prlimit', `RLIMIT_${name}, {${show(soft)}, ${show(hard)}}`, f(0, resource, lim, null));
}

/** Current [soft, hard] of one resource (prlimit(2) read-only). */
export function getrlimit(resource: number, name: string): [bigint, bigint] {
  const old = Buffer.alloc(16);
  check('prlimit', `RLIMIT_${name}, NULL`, fn('int prlimit(int pid, int resource, void *new_limit, void *old_limit)')(0, resource, null, old));
  return [old.readBigUInt64LE(0), old.readBigUInt64LE(8)];
}

/**
 * execve(2). Returns only on failure, with the errno name; on success the calling process image
 * (and every other thread of it) is replaced.
 */
export function execve(file: string, argv: string[], env: Record<string, string>): never {
  const envp = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  const f = fn('int execve(const char *path, const char **argv, const char **envp)');
  check('execve', file, f(file, [...argv, null], [...envp, null]));
  throw new Error('execve returned without an error');
}
