/** Namespace system calls: unshare(2) and setns(2). */
import { CLONE } from '../clone-flags';
import { check, flagNames, fn } from './libc';

export { CLONE };

/** unshare(2): moves the calling thread into new namespaces. */
export function unshare(flags: number): void {
  check('unshare', flagNames(flags, prefixed(CLONE)), fn('int unshare(int flags)')(flags));
}

/** setns(2): moves the calling thread (or its future children, for PID) into the namespace behind fd. */
export function setns(fd: number, nstype: number): void {
  check('setns', `${fd}, ${flagNames(nstype, prefixed(CLONE))}`, fn('int setns(int fd, int nstype)')(fd, nstype));
}

function prefixed(table: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(table).map(([k, v]) => [`CLONE_${k}`, v]));
}
