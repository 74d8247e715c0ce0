/** Mount system calls: mount(2), umount2(2), pivot_root(2), mount_setattr(2). */
import { check, flagNames, fn, syscall } from './libc';

/** mount(2) flags (linux/mount.h). */
export const MS = {
  RDONLY: 1,
  NOSUID: 2,
  NODEV: 4,
  NOEXEC: 8,
  REMOUNT: 32,
  BIND: 4096,
  REC: 16384,
  PRIVATE: 1 << 18,
} as const;

/** mount_setattr(2) attributes (linux/mount.h MOUNT_ATTR_*). */
export const MOUNT_ATTR = {
  RDONLY: 0x1,
  NOSUID: 0x2,
  NODEV: 0x4,
  NOEXEC: 0x8,
} as const;

/** umount2(2) flag: lazy unmount. */
export const MNT_DETACH = 2;

const SYS_PIVOT_ROOT = 155; // x86_64
const SYS_MOUNT_SETATTR = 442; // x86_64, Linux ≥ 5.12
const AT_FDCWD = -100;
const AT_RECURSIVE = 0x8000;
const AT_SYMLINK_NOFOLLOW = 0x100;

const msNames = Object.fromEntries(Object.entries(MS).map(([k, v]) => [`MS_${k}`, v]));
const attrNames = Object.fromEntries(Object.entries(MOUNT_ATTR).map(([k, v]) => [`MOUNT_ATTR_${k}`, v]));

/** mount(2). `source` and `fstype` may be null for bind/remount/propagation changes. */
export function mount(source: string | null, target: string, fstype: string | null, flags: number, data: string | null = null): void {
  const args = () => `${source ?? 'none'} → ${target}, ${fstype ?? 'none'}, ${flagNames(flags, msNames)}${data ? `, "${data}"` : ''}`;
  const mountFn = fn('int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data)');
  check('mount', args, mountFn(source, target, fstype, flags, data));
}

/** umount2(2). */
export function umount2(target: string, flags: number): void {
  check('umount2', `${target}, ${flags === MNT_DETACH ? 'MNT_DETACH' : flags}`, fn('int umount2(const char *target, int flags)')(target, flags));
}

/** pivot_root(2) (not wrapped by glibc). */
export function pivotRoot(newRoot: string, putOld: string): void {
  check('pivot_root', `${newRoot}, ${putOld}`, syscall(SYS_PIVOT_ROOT, 'str', newRoot, 'str', putOld));
}

/**
 * mount_setattr(2): sets attributes on the mount at `path` (and, with `recursive`, every mount
 * below it) without touching the others — unlike MS_REMOUNT, which needs the full flag set and
 * would silently clear e.g. a host's noexec.
 */
export function mountSetattr(path: string, attrSet: number, recursive: boolean): void {
  const attr = Buffer.alloc(32); // struct mount_attr { u64 attr_set, attr_clr, propagation, userns_fd }
  attr.writeBigUInt64LE(BigInt(attrSet), 0);
  const flags = AT_SYMLINK_NOFOLLOW | (recursive ? AT_RECURSIVE : 0);
  const args = () => `${path}, ${flagNames(attrSet, attrNames)}${recursive ? ', AT_RECURSIVE' : ''}`;
  check('mount_setattr', args, syscall(SYS_MOUNT_SETATTR, 'int', AT_FDCWD, 'str', path, 'uint', flags, 'void *', attr, 'size_t', attr.length));
}
