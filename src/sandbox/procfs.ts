/**
 * /proc and /sys for the job. /proc is mounted from inside the job's PID namespace, so it lists
 * only the job's processes; the kernel knobs and leaky files in it are made read-only or masked
 * (the list follows Docker's default masked/read-only paths). /sys is read-only and, being
 * mounted in the job's network namespace, shows only its interfaces.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MS, MOUNT_ATTR, mount } from './libc/mount';
import { bind, ensureDir, RO, tmpfs, type Root } from './mounts';

/** /proc entries that stay visible but read-only. */
export const PROC_READONLY = ['sys', 'sysrq-trigger', 'bus', 'fs', 'irq'];
/** /proc entries hidden behind /dev/null (files) or an empty read-only tmpfs (directories). */
export const PROC_MASKED = ['kcore', 'keys', 'timer_list', 'timer_stats', 'sched_debug', 'latency_stats', 'acpi', 'asound', 'scsi'];
/** /sys entries hidden the same way. */
export const SYS_MASKED = ['firmware', 'devices/virtual/powercap'];

const NOSUID_NODEV_NOEXEC = MS.NOSUID | MS.NODEV | MS.NOEXEC;

/** Mounts /proc inside `root` (the caller must be PID 1 of the job's PID namespace). */
export function mountProc(root: Root): void {
  const proc = ensureDir(root, '/proc');
  mount('proc', proc, 'proc', NOSUID_NODEV_NOEXEC);
  for (const name of PROC_READONLY) {
    const p = path.join(proc, name);
    if (fs.existsSync(p)) bind(p, p, RO | MOUNT_ATTR.NOEXEC);
  }
  for (const name of PROC_MASKED) mask(path.join(proc, name));
}

/** Mounts a read-only sysfs inside `root`. */
export function mountSys(root: Root): void {
  const sys = ensureDir(root, '/sys');
  mount('sysfs', sys, 'sysfs', MS.RDONLY | NOSUID_NODEV_NOEXEC);
  for (const name of SYS_MASKED) mask(path.join(sys, name));
}

/** Hides an existing file or directory; missing ones are left alone. */
function mask(p: string): void {
  const st = fs.statSync(p, { throwIfNoEntry: false });
  if (!st) return;
  if (st.isDirectory()) tmpfs(p, MS.RDONLY | NOSUID_NODEV_NOEXEC, 'size=4k,nr_inodes=1,mode=0555');
  else bind('/dev/null', p, RO | MOUNT_ATTR.NOEXEC);
}
