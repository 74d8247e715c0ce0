/** Namespace system calls: unshare(2) and setns(2). */
import { check, flagNames, fn } from './libc';

/** clone(2) namespace flags (linux/sched.h). */
export const CLONE = {
  NEWNS: 0x00020000,
  NEWCGROUP: 0x02000000,
  NEWUTS: 0x04000000,
  NEWIPC: 0x08000000,
  NEWUSER: 0x10000000,
  NEWPID: 0x20000000,
  NEWNET: 0x40000000,
} as const;

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
