/**
 * Mount building blocks for the init stage, all relative to a new root directory. Mount points
 * are created only inside the root's own tmpfs: creating one inside a bind mount would write to
 * the host (a missing /usr/foo under a /usr bind would appear in the host's /usr).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { JobletError } from '../shared/errors';
import { MOUNT_ATTR, MS, mount, mountSetattr } from './libc/mount';

/** A new root under construction: its host path and the device of its tmpfs. */
export interface Root {
  dir: string;
  dev: number;
}

/** Mounts a fresh tmpfs on `dir` and returns it as a Root. */
export function mountRootTmpfs(dir: string): Root {
  // Small: it holds only mount points, symlinks and the synthesized /etc, and becomes read-only.
  mount('tmpfs', dir, 'tmpfs', MS.NOSUID | MS.NODEV, 'mode=0755,size=1m,nr_inodes=4096');
  return { dir, dev: fs.statSync(dir).dev };
}

/** Host path of `inside` (an absolute path in the job's view) under the new root. */
export function hostPath(root: Root, inside: string): string {
  return path.join(root.dir, path.normalize(`/${inside}`));
}

/** Creates a directory (and parents) inside the root tmpfs; refuses symlinks and foreign mounts. */
export function ensureDir(root: Root, inside: string, mode = 0o755): string {
  let current = root.dir;
  for (const part of path.normalize(`/${inside}`).split('/').filter(Boolean)) {
    const next = path.join(current, part);
    const st = fs.lstatSync(next, { throwIfNoEntry: false });
    if (!st) {
      assertOnRoot(root, current, inside);
      fs.mkdirSync(next, { mode });
      fs.chmodSync(next, mode); // mkdir's mode is filtered by the umask
    } else if (!st.isDirectory()) {
      throw new JobletError('INTERNAL', `cannot make mount point ${inside}: ${path.relative(root.dir, next)} is not a directory`);
    }
    current = next;
  }
  return current;
}

/** Creates an empty file (mount point for a file bind) inside the root tmpfs. */
export function ensureFile(root: Root, inside: string): string {
  const parent = ensureDir(root, path.dirname(inside));
  const file = path.join(parent, path.basename(inside));
  const st = fs.lstatSync(file, { throwIfNoEntry: false });
  if (!st) {
    assertOnRoot(root, parent, inside);
    fs.writeFileSync(file, '', { mode: 0o644 });
  } else if (!st.isFile()) {
    throw new JobletError('INTERNAL', `cannot make mount point ${inside}: it exists and is not a file`);
  }
  return file;
}

/** Writes a file of the synthesized root (mode 0644 unless given). */
export function writeRootFile(root: Root, inside: string, content: string, mode = 0o644): void {
  const file = path.join(ensureDir(root, path.dirname(inside)), path.basename(inside));
  assertOnRoot(root, path.dirname(file), inside);
  fs.writeFileSync(file, content, { mode, flag: 'wx' });
  fs.chmodSync(file, mode);
}

/** Creates a symlink inside the root tmpfs. */
export function symlinkIn(root: Root, inside: string, target: string): void {
  const parent = ensureDir(root, path.dirname(inside));
  assertOnRoot(root, parent, inside);
  fs.symlinkSync(target, path.join(parent, path.basename(inside)));
}

function assertOnRoot(root: Root, dir: string, inside: string): void {
  if (fs.statSync(dir).dev !== root.dev) {
    throw new JobletError('INTERNAL', `cannot make mount point ${inside}: its parent is a bind mount of a host directory`);
  }
}

/** Attribute set for a read-only, nosuid, nodev view (host noexec etc. are kept). */
export const RO = MOUNT_ATTR.RDONLY | MOUNT_ATTR.NOSUID | MOUNT_ATTR.NODEV;

/**
 * Bind-mounts `src` onto `dst` (recursively, so nested host mounts stay visible) and adds
 * `attrs` to every mount of the new tree: MS_BIND ignores flags, and a plain MS_REMOUNT would
 * reach only the top mount.
 */
export function bind(src: string, dst: string, attrs: number): void {
  mount(src, dst, null, MS.BIND | MS.REC);
  if (attrs) mountSetattr(dst, attrs, true);
}

/** Mounts a tmpfs with the given flags and options. */
export function tmpfs(dst: string, flags: number, options: string): void {
  mount('tmpfs', dst, 'tmpfs', flags, options);
}
