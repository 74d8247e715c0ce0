/**
 * Filesystems: the real ones (block-device filesystems, plus zfs and fuse on a block device) from
 * /proc/self/mountinfo, one entry per device, with bytes and inodes from statfs. Pseudo and memory
 * filesystems (proc, sysfs, tmpfs, cgroup, overlay...) are not disks and are left out.
 */
import * as fs from 'node:fs';
import type { DiskMetrics } from '../../gen/joblet';
import { round2 } from './cpu';

/** Filesystem types that live on storage. */
const REAL_FILESYSTEMS = new Set([
  'ext2', 'ext3', 'ext4', 'xfs', 'btrfs', 'zfs', 'f2fs', 'vfat', 'exfat', 'ntfs', 'ntfs3', 'fuseblk',
  'jfs', 'reiserfs', 'bcachefs', 'hfsplus', 'udf', 'iso9660', 'nilfs2',
]);

/** One mount of a real filesystem. */
export interface RealMount {
  device: string;
  mountPoint: string;
  filesystem: string;
}

/** "\040" and friends: mountinfo escapes spaces, tabs, newlines and backslashes in paths. */
function unescape(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** Real filesystems of a mountinfo text, one per device: its mount of the filesystem root, else its first mount. */
export function realMounts(mountinfo: string): RealMount[] {
  const byDev = new Map<string, RealMount & { root: string }>();
  for (const line of mountinfo.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const pre = line.slice(0, sep).split(' ');
    const [fstype = '', source = ''] = line.slice(sep + 3).split(' ');
    if (!REAL_FILESYSTEMS.has(fstype)) continue;
    const [, , majMin = '', root = '', point = ''] = pre;
    const m = { device: unescape(source), mountPoint: unescape(point), filesystem: fstype, root: unescape(root) };
    const seen = byDev.get(majMin);
    if (!seen || (seen.root !== '/' && m.root === '/')) byDev.set(majMin, m);
  }
  return [...byDev.values()].map(({ device, mountPoint, filesystem }) => ({ device, mountPoint, filesystem })).sort((a, b) => a.mountPoint.localeCompare(b.mountPoint));
}

function pct(used: number, total: number): number {
  return total > 0 ? round2((100 * used) / total) : 0;
}

/** statfs of one mount, bounded in time: a wedged device must not hold a request forever. */
async function statfs(p: string, timeoutMs: number): Promise<fs.StatsFs | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), timeoutMs).unref()));
  try {
    return await Promise.race([fs.promises.statfs(p).catch(() => undefined), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Disk section: bytes as df shows them (free = what unprivileged users may still use) and inodes. */
export async function diskMetrics(mounts: RealMount[], timeoutMs = 1000): Promise<DiskMetrics[]> {
  const stats = await Promise.all(mounts.map((m) => statfs(m.mountPoint, timeoutMs)));
  const out: DiskMetrics[] = [];
  mounts.forEach((m, i) => {
    const s = stats[i];
    if (!s) return;
    const total = s.blocks * s.bsize;
    // df's "Used" is blocks minus free blocks; "Avail" excludes the root reserve.
    const used = (s.blocks - s.bfree) * s.bsize;
    const free = s.bavail * s.bsize;
    const inodesUsed = s.files - s.ffree;
    out.push({
      device: m.device,
      mountPoint: m.mountPoint,
      filesystem: m.filesystem,
      totalBytes: total,
      usedBytes: used,
      freeBytes: free,
      // As df computes Use%: used over what users can have (used + available).
      usagePercent: pct(used, used + free),
      inodesTotal: s.files,
      inodesUsed,
      inodesFree: s.ffree,
      inodesUsagePercent: pct(inodesUsed, s.files),
    });
  });
  return out;
}
