/** File descriptor calls: pipe2(2), fcntl(2), close_range(2), close(2). */
import { check, fn, syscall } from './libc';

const O_CLOEXEC = 0o2000000;
const O_NONBLOCK = 0o4000;
const F_GETFD = 1;
const F_SETFD = 2;
const FD_CLOEXEC = 1;
const F_DUPFD_CLOEXEC = 1030;
const F_SETPIPE_SZ = 1031;
const F_GETPIPE_SZ = 1032;
const SYS_CLOSE_RANGE = 436; // x86_64, Linux ≥ 5.9 (CLOSE_RANGE_CLOEXEC ≥ 5.11)
const CLOSE_RANGE_CLOEXEC = 1 << 2;

/** pipe2(2) with O_CLOEXEC (and O_NONBLOCK on both ends when asked): [read end, write end]. */
export function pipeCloexec(nonblock = false): [number, number] {
  const fds = Buffer.alloc(8);
  const flags = O_CLOEXEC | (nonblock ? O_NONBLOCK : 0);
  check('pipe2', nonblock ? 'O_CLOEXEC|O_NONBLOCK' : 'O_CLOEXEC', fn('int pipe2(void *fds, int flags)')(fds, flags));
  return [fds.readInt32LE(0), fds.readInt32LE(4)];
}

/** fcntl(F_GETPIPE_SZ): a pipe's buffer size in bytes. */
export function getPipeSize(fd: number): number {
  return check('fcntl', `${fd}, F_GETPIPE_SZ`, fn('int fcntl(int fd, int cmd, ...)')(fd, F_GETPIPE_SZ));
}

/** fcntl(F_SETPIPE_SZ): grows a pipe's buffer to at least `bytes`; returns the new size. */
export function setPipeSize(fd: number, bytes: number): number {
  return check('fcntl', `${fd}, F_SETPIPE_SZ, ${bytes}`, fn('int fcntl(int fd, int cmd, ...)')(fd, F_SETPIPE_SZ, 'int', bytes));
}

/** Sets or clears FD_CLOEXEC on one fd. */
export function setCloexec(fd: number, on: boolean): void {
  const fcntl = fn('int fcntl(int fd, int cmd, ...)');
  const flags = check('fcntl', `${fd}, F_GETFD`, fcntl(fd, F_GETFD));
  const next = on ? flags | FD_CLOEXEC : flags & ~FD_CLOEXEC;
  check('fcntl', `${fd}, F_SETFD, ${next}`, fcntl(fd, F_SETFD, 'int', next));
}

/** True when FD_CLOEXEC is set on fd. */
export function isCloexec(fd: number): boolean {
  return (check('fcntl', `${fd}, F_GETFD`, fn('int fcntl(int fd, int cmd, ...)')(fd, F_GETFD)) & FD_CLOEXEC) !== 0;
}

/** close_range(first, ~0U, CLOSE_RANGE_CLOEXEC): every fd ≥ first closes at the next execve. */
export function cloexecFrom(first: number): void {
  check('close_range', `${first}, ~0U, CLOSE_RANGE_CLOEXEC`, syscall(SYS_CLOSE_RANGE, 'uint', first, 'uint', 0xffffffff, 'uint', CLOSE_RANGE_CLOEXEC));
}

/** fcntl(F_DUPFD_CLOEXEC): a close-on-exec copy of `fd` numbered `min` or above. */
export function dupAtLeast(fd: number, min: number): number {
  return check('fcntl', `${fd}, F_DUPFD_CLOEXEC, ${min}`, fn('int fcntl(int fd, int cmd, ...)')(fd, F_DUPFD_CLOEXEC, 'int', min));
}

/** close(2). */
export function close(fd: number): void {
  check('close', String(fd), fn('int close(int fd)')(fd));
}
