/**
 * Process creation without fork(2): posix_spawn(3) (glibc uses clone with CLONE_VM|CLONE_VFORK, so
 * the cost does not grow with the caller's memory, unlike the fork libuv does), plus pidfd_open(2),
 * waitid(P_PIDFD) and poll(2) to learn when such a child ends.
 */
import * as os from 'node:os';
import { SyscallError } from '../../shared/errors';
import { check, errnoName, fn, syscall } from './libc';

const POSIX_SPAWN_SETSIGDEF = 0x04;
const POSIX_SPAWN_SETSIGMASK = 0x08;
/** sizeof(posix_spawn_file_actions_t), sizeof(posix_spawnattr_t), sizeof(sigset_t) on glibc x86_64 (with room to spare). */
const FILE_ACTIONS_BYTES = 128;
const ATTR_BYTES = 512;
const SIGSET_BYTES = 128;
const SYS_PIDFD_OPEN = 434; // x86_64, Linux ≥ 5.3
const P_PIDFD = 3; // Linux ≥ 5.4
const WEXITED = 4;
const WNOHANG = 1;
const CLD_EXITED = 1;
const POLLIN = 1;

/** How a child ended. */
export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const signalNames = new Map(Object.entries(os.constants.signals).map(([name, num]) => [num, name as NodeJS.Signals]));

/**
 * posix_spawn(3) of `file` with `argv`/`env`; `fds[i]` becomes the child's fd i (dup2, which
 * clears close-on-exec), every signal gets its default disposition and none is blocked. The
 * sources in `fds` must not be numbers below fds.length (a later dup2 would overwrite them).
 * Returns the pid; throws SyscallError when the program cannot be started.
 */
export function posixSpawn(file: string, argv: string[], env: Record<string, string>, fds: number[]): number {
  if (fds.some((fd) => fd < fds.length)) throw new SyscallError('posix_spawn', `${file}: source fd below ${fds.length}`, 'EINVAL');
  const actions = Buffer.alloc(FILE_ACTIONS_BYTES);
  const attr = Buffer.alloc(ATTR_BYTES);
  const all = Buffer.alloc(SIGSET_BYTES);
  const none = Buffer.alloc(SIGSET_BYTES);
  const err = (op: string, r: unknown) => {
    if (r !== 0) throw new SyscallError(op, file, errnoName(r as number));
  };
  err('posix_spawn_file_actions_init', fn('int posix_spawn_file_actions_init(void *fa)')(actions));
  err('posix_spawnattr_init', fn('int posix_spawnattr_init(void *attr)')(attr));
  try {
    const adddup2 = fn('int posix_spawn_file_actions_adddup2(void *fa, int fd, int newfd)');
    fds.forEach((fd, target) => err('posix_spawn_file_actions_adddup2', adddup2(actions, fd, target)));
    check('sigfillset', '', fn('int sigfillset(void *set)')(all));
    check('sigemptyset', '', fn('int sigemptyset(void *set)')(none));
    err('posix_spawnattr_setsigdefault', fn('int posix_spawnattr_setsigdefault(void *attr, void *set)')(attr, all));
    err('posix_spawnattr_setsigmask', fn('int posix_spawnattr_setsigmask(void *attr, void *set)')(attr, none));
    err('posix_spawnattr_setflags', fn('int posix_spawnattr_setflags(void *attr, short flags)')(attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK));
    const pid = [0];
    const envp = Object.entries(env).map(([k, v]) => `${k}=${v}`);
    const spawn = fn('int posix_spawn(_Out_ int *pid, const char *path, void *fa, void *attr, const char **argv, const char **envp)');
    err('posix_spawn', spawn(pid, file, actions, attr, [...argv, null], [...envp, null]));
    return pid[0]!;
  } finally {
    fn('int posix_spawn_file_actions_destroy(void *fa)')(actions);
    fn('int posix_spawnattr_destroy(void *attr)')(attr);
  }
}

/** pidfd_open(2): an fd that becomes readable when `pid` ends. */
export function pidfdOpen(pid: number): number {
  return check('pidfd_open', String(pid), syscall(SYS_PIDFD_OPEN, 'int', pid, 'uint', 0));
}

/** Of `fds`, the ones readable now (poll(2) with no wait). */
export function readableNow(fds: number[]): number[] {
  if (fds.length === 0) return [];
  const buf = Buffer.alloc(8 * fds.length); // struct pollfd { int fd; short events; short revents; }
  fds.forEach((fd, i) => {
    buf.writeInt32LE(fd, 8 * i);
    buf.writeInt16LE(POLLIN, 8 * i + 4);
  });
  check('poll', `${fds.length} fds`, fn('int poll(void *fds, unsigned long nfds, int timeout)')(buf, fds.length, 0));
  return fds.filter((_, i) => buf.readInt16LE(8 * i + 6) !== 0);
}

/** waitid(P_PIDFD, fd, WEXITED|WNOHANG): how the child ended, or undefined while it runs. */
export function reapPidfd(fd: number): ChildExit | undefined {
  const info = Buffer.alloc(128); // siginfo_t
  check('waitid', `P_PIDFD, ${fd}`, fn('int waitid(int idtype, int id, void *infop, int options)')(P_PIDFD, fd, info, WEXITED | WNOHANG));
  if (info.readInt32LE(16) === 0) return undefined; // si_pid: nothing changed yet
  const code = info.readInt32LE(8); // si_code
  const status = info.readInt32LE(24); // si_status
  return code === CLD_EXITED ? { code: status, signal: null } : { code: null, signal: signalNames.get(status) ?? 'SIGKILL' };
}
