/**
 * The host side of a volume: its directory under <stateDir>/volumes, its image and loop device
 * (filesystem) or tmpfs (memory), and its mount on <dir>/data. Every step is idempotent and starts
 * from what the host really has (mountinfo, sysfs), so the same code creates a volume, brings it
 * back after a restart or a `kill -9` (reusing a loop device still attached to the image, never
 * adding a second one), and takes it down.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FailedPreconditionError, JobletError, SyscallError, describeError } from '../../shared/errors';
import { MS, mount, umount2 } from '../../sandbox/libc/mount';
import type { VolumeRecord } from '../../store/volume-record';
import { HOST, loopsBacking, mountsAt, mountsUnder, type HostPaths } from './host';
import type { VolumeTools } from './tools';

/** Host paths of one volume. */
export interface VolumePaths {
  dir: string;
  image: string;
  data: string;
}

/** Paths of volume `name` under the (real, symlink-free) volumes root. */
export function volumePaths(root: string, name: string): VolumePaths {
  const dir = path.join(root, name);
  return { dir, image: path.join(dir, 'volume.img'), data: path.join(dir, 'data') };
}

/** Who owns a volume's root directory, and how to reach the tools and the host's state. */
export interface BackingContext {
  uid: number;
  gid: number;
  /** Resolved on first use: memory volumes and hosts without filesystem volumes never need them. */
  tools: () => VolumeTools;
  host?: HostPaths;
}

/** tmpfs inode cap: a page's worth of data per inode, within sane bounds (inodes are not counted in size=). */
export function memoryInodes(sizeBytes: number): number {
  return Math.min(1 << 20, Math.max(1024, Math.floor(sizeBytes / 4096)));
}

/** Create a new volume's backing and mount it. On failure everything made so far is removed. */
export async function createBacking(p: VolumePaths, v: VolumeRecord, ctx: BackingContext): Promise<void> {
  try {
    fs.mkdirSync(p.dir, { mode: 0o700 });
    if (v.type === 'filesystem') {
      const tools = ctx.tools();
      // Sparse: only what the job writes takes disk space; the size is enforced by ext4 itself.
      const fd = fs.openSync(p.image, 'wx', 0o600);
      try {
        fs.ftruncateSync(fd, v.sizeBytes);
      } finally {
        fs.closeSync(fd);
      }
      await tools.mkfs(p.image, ctx.uid, ctx.gid);
    }
    await mountBacking(p, v, ctx);
  } catch (err) {
    await removeBacking(p, ctx).catch(() => undefined);
    throw err;
  }
}

/**
 * Make sure the volume is mounted on p.data, and exactly once. A filesystem volume keeps a mount
 * that is already there from its own loop device (a restart after `kill -9`), otherwise it reuses
 * a loop device still attached to the image or attaches one; any other loop device on the image is
 * detached. A memory volume always gets a fresh, empty tmpfs: its contents never outlive the daemon.
 */
export async function mountBacking(p: VolumePaths, v: VolumeRecord, ctx: BackingContext): Promise<void> {
  const host = ctx.host ?? HOST;
  fs.mkdirSync(p.data, { recursive: true, mode: 0o755 });
  if (v.type === 'memory') {
    unmountAll(p.data, host);
    const opts = `size=${v.sizeBytes},nr_inodes=${memoryInodes(v.sizeBytes)},mode=0755,uid=${ctx.uid},gid=${ctx.gid}`;
    mount(`joblet-volume-${v.name}`, p.data, 'tmpfs', MS.NOSUID | MS.NODEV, opts);
    return;
  }
  if (!fs.existsSync(p.image)) throw new JobletError('INTERNAL', `its image ${p.image} is missing; remove the volume and create it again`);
  const tools = ctx.tools();
  const loops = loopsBacking(p.image, host);
  const mounted = mountsAt(p.data, host);
  const keep = mounted.length === 1 ? loops.find((l) => !l.deleted && l.dev === mounted[0]!.dev) : undefined;
  if (!keep) unmountAll(p.data, host);
  const dev = keep ?? loops.find((l) => !l.deleted);
  // Two loop devices on one image would let two ext4 mounts corrupt it: keep exactly one.
  for (const extra of loops) if (extra !== dev) await tools.detach(extra.path);
  if (!keep) {
    const loop = dev?.path ?? (await tools.attach(p.image));
    try {
      mount(loop, p.data, 'ext4', MS.NOSUID | MS.NODEV);
    } catch (err) {
      if (!dev) await tools.detach(loop).catch(() => undefined);
      throw err;
    }
  }
  // The job user may differ from when the image was made (jobs.uid/gid changed): follow the config.
  fs.chownSync(p.data, ctx.uid, ctx.gid);
  fs.chmodSync(p.data, 0o755);
}

/**
 * Unmount (the data of a memory volume goes with it), detach the loop devices of the image and
 * delete the volume's directory. Refuses while anything still holds the mount.
 */
export async function removeBacking(p: VolumePaths, ctx: BackingContext): Promise<void> {
  const host = ctx.host ?? HOST;
  await unmountBacking(p, ctx);
  const left = mountsUnder(p.dir, host);
  // Never recurse into a mounted filesystem: rm would delete the volume's contents through it.
  if (left.length > 0) throw new JobletError('INTERNAL', `cannot delete ${p.dir}: ${left.map((m) => m.mountPoint).join(', ')} still mounted`);
  fs.rmSync(p.dir, { recursive: true, force: true });
}

/** Unmount the volume and detach its loop devices, keeping its files (daemon shutdown). */
export async function unmountBacking(p: VolumePaths, ctx: BackingContext): Promise<void> {
  const host = ctx.host ?? HOST;
  unmountAll(p.data, host);
  // Tools only when there is something to detach: memory volumes never need them.
  for (const l of loopsBacking(p.image, host)) await ctx.tools().detach(l.path);
}

/** Unmount everything stacked on `dir`; a busy mount is refused with a message that says so. */
export function unmountAll(dir: string, host: HostPaths = HOST): void {
  for (let i = 0; i < 16 && mountsAt(dir, host).length > 0; i++) {
    try {
      umount2(dir, 0);
    } catch (err) {
      if (err instanceof SyscallError && err.errno === 'EBUSY') {
        throw new FailedPreconditionError(`${dir} is busy: a process on the server still uses it (see 'fuser -vm ${dir}')`);
      }
      throw new JobletError('INTERNAL', `cannot unmount ${dir}: ${describeError(err)}`);
    }
  }
}
