/**
 * The job's /dev: a small tmpfs with binds of a few harmless host device nodes (the job cannot
 * mknod: no CAP_MKNOD), a private devpts instance, /dev/shm and the usual /proc/self/fd links.
 */
import * as fs from 'node:fs';
import { MOUNT_ATTR, MS, mount } from './libc/mount';
import { bind, ensureDir, ensureFile, symlinkIn, tmpfs, type Root } from './mounts';

/** Host device nodes bound into the job's /dev. */
export const DEVICES = ['null', 'zero', 'full', 'random', 'urandom', 'tty'];

/** Builds /dev inside `root`; /dev/shm gets `shmSizeBytes`. */
export function buildDev(root: Root, shmSizeBytes: number): void {
  const dir = ensureDir(root, '/dev');
  tmpfs(dir, MS.NOSUID | MS.NOEXEC, 'mode=0755,size=64k,nr_inodes=256');
  // Mount points below are created in the /dev tmpfs, so it is their Root.
  const dev: Root = { dir, dev: fs.statSync(dir).dev };
  for (const name of DEVICES) {
    const host = `/dev/${name}`;
    if (fs.statSync(host, { throwIfNoEntry: false })?.isCharacterDevice()) {
      bind(host, ensureFile(dev, `/${name}`), MOUNT_ATTR.NOSUID | MOUNT_ATTR.NOEXEC);
    }
  }
  // newinstance: the job's ptys are its own, not the host's /dev/pts.
  mount('devpts', ensureDir(dev, '/pts'), 'devpts', MS.NOSUID | MS.NOEXEC, 'newinstance,ptmxmode=0666,mode=0620');
  symlinkIn(dev, '/ptmx', 'pts/ptmx');
  tmpfs(ensureDir(dev, '/shm', 0o1777), MS.NOSUID | MS.NODEV | MS.NOEXEC, `mode=1777,size=${shmSizeBytes}`);
  symlinkIn(dev, '/fd', '/proc/self/fd');
  symlinkIn(dev, '/stdin', '/proc/self/fd/0');
  symlinkIn(dev, '/stdout', '/proc/self/fd/1');
  symlinkIn(dev, '/stderr', '/proc/self/fd/2');
}
