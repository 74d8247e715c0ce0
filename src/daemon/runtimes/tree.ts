/**
 * Host-side passes over a build's output, a tree written by an untrusted process: never follow a
 * symlink (lstat, lchown; every path component checked before a file is read), never recurse (an
 * arbitrarily deep tree must not overflow the stack), never block the daemon (a runtime has tens
 * of thousands of files: the walks are asynchronous). The build has ended when these run and the
 * tree lies under the 0700 state directory, so nothing changes it meanwhile.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { JobletError } from '../../shared/errors';

/** What finalizeTree saw. */
export interface TreeStats {
  /** Disk usage, each inode counted once (hard links), like du. */
  bytes: number;
  entries: number;
}

/** Calls `visit` for `dir` and every entry under it, parents before children, without following symlinks. */
export async function walk(dir: string, visit: (p: string, st: fs.Stats) => Promise<void> | void): Promise<void> {
  const top = await fs.promises.lstat(dir);
  await visit(dir, top);
  if (!top.isDirectory()) return;
  const stack = [dir];
  while (stack.length > 0) {
    const current = stack.pop()!;
    for (const name of await fs.promises.readdir(current)) {
      const p = path.join(current, name);
      const st = await fs.promises.lstat(p);
      await visit(p, st);
      if (st.isDirectory()) stack.push(p);
    }
  }
}

/**
 * Gives the tree its real ownership back and strips set-id bits: the build's user namespace
 * mapped ids 0…count-1 onto base…base+count-1, so a file the build made as root belongs to
 * `base` on the host. After this it belongs to root, and no runtime file is setuid or setgid
 * (runtimes are mounted nosuid anyway). Returns the tree's size.
 */
export async function finalizeTree(dir: string, base: number, count: number): Promise<TreeStats> {
  const seen = new Set<string>();
  let bytes = 0;
  let entries = 0;
  const fix = async (p: string, st: fs.Stats) => {
    entries++;
    const key = `${st.dev}:${st.ino}`;
    if (seen.has(key)) return; // another name of an inode already done
    seen.add(key);
    bytes += st.blocks * 512;
    const inRange = (id: number) => id >= base && id < base + count;
    if (inRange(st.uid) || inRange(st.gid)) {
      await fs.promises.lchown(p, inRange(st.uid) ? st.uid - base : st.uid, inRange(st.gid) ? st.gid - base : st.gid);
    }
    if (!st.isDirectory() && !st.isSymbolicLink() && st.mode & 0o6000) {
      // chown already cleared them on most kernels; make sure (chmod on a non-symlink we just lstat'ed).
      await fs.promises.chmod(p, st.mode & 0o1777);
    }
  };
  await walk(dir, fix);
  return { bytes, entries };
}

/** Moves the ids from…from+count-1 of every entry to to…to+count-1 (lchown; others are left). */
export async function shiftIds(dir: string, from: number, to: number, count: number): Promise<void> {
  const inRange = (id: number) => id >= from && id < from + count;
  await walk(dir, async (p, st) => {
    if (inRange(st.uid) || inRange(st.gid)) await fs.promises.lchown(p, inRange(st.uid) ? st.uid - from + to : st.uid, inRange(st.gid) ? st.gid - from + to : st.gid);
  });
}

/** Disk usage of a tree, each inode once. */
export async function treeSize(dir: string): Promise<number> {
  const seen = new Set<string>();
  let bytes = 0;
  if (!fs.existsSync(dir)) return 0;
  await walk(dir, (_p, st) => {
    const key = `${st.dev}:${st.ino}`;
    if (seen.has(key)) return;
    seen.add(key);
    bytes += st.blocks * 512;
  });
  return bytes;
}

/** Reads `rel` under `root` only if no component of it is a symlink (and it is a regular file); undefined when missing. */
export function readInside(root: string, rel: string, maxBytes = 64 * 1024 * 1024): string | undefined {
  let p = root;
  const parts = rel.split('/').filter(Boolean);
  for (const [i, part] of parts.entries()) {
    p = path.join(p, part);
    const st = fs.lstatSync(p, { throwIfNoEntry: false });
    if (!st) return undefined;
    const last = i === parts.length - 1;
    if (st.isSymbolicLink() || (last ? !st.isFile() : !st.isDirectory())) {
      throw new JobletError('FAILED_PRECONDITION', `the build's ${rel} is not a plain ${last ? 'file' : 'directory path'} (${path.relative(root, p)} is ${st.isSymbolicLink() ? 'a symlink' : 'of another kind'})`);
    }
    if (last && st.size > maxBytes) throw new JobletError('FAILED_PRECONDITION', `the build's ${rel} is larger than ${maxBytes} bytes`);
  }
  // O_NOFOLLOW: the last component cannot have become a symlink since the lstat above.
  const fd = fs.openSync(p, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  try {
    return fs.readFileSync(fd, 'utf8');
  } finally {
    fs.closeSync(fd);
  }
}

/** True when `p` is a directory and not a symlink. */
export function isRealDir(p: string): boolean {
  return fs.lstatSync(p, { throwIfNoEntry: false })?.isDirectory() ?? false;
}

/** Free bytes for unprivileged writers on the filesystem holding `p`. */
export function freeBytes(p: string): number {
  const s = fs.statfsSync(p);
  return s.bavail * s.bsize;
}
