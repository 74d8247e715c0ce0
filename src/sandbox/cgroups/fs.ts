/**
 * The only file access of the cgroup managers. It is rooted at one directory (default /sys/fs/cgroup)
 * so unit tests can point it at a fake cgroupfs in a temp dir, and it refuses any path outside that
 * root, so a bad job id or a hostile /proc/self/cgroup can never steer a write elsewhere.
 *
 * Calls are synchronous: cgroups are created right before the job's init is spawned, inside the
 * daemon's synchronous spawn sequence, and cgroupfs operations never block on disk.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { JobletError, SyscallError } from '../../shared/errors';

/** errno name of a Node fs error ("ENOENT", "EBUSY"...), or undefined for anything else. */
export function errnoOf(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

// cgroupfs files are small; one reused buffer spares readFileSync's fstat and allocation on every
// read (job metrics sampling reads about ten files per job every few seconds).
const BUF = Buffer.allocUnsafe(64 * 1024);

/** Whole content of a file, read in one pass into the shared buffer (a larger one falls back to readFileSync). */
function readSmall(abs: string): string {
  const fd = fs.openSync(abs, 'r');
  let n = 0;
  try {
    for (;;) {
      const got = fs.readSync(fd, BUF, n, BUF.length - n, null);
      if (got === 0) return BUF.toString('utf8', 0, n);
      n += got;
      if (n === BUF.length) break;
    }
  } finally {
    fs.closeSync(fd);
  }
  return fs.readFileSync(abs, 'utf8');
}

/** Synchronous access to the files of cgroup hierarchies mounted at or below one root directory. */
export class CgroupFs {
  /** Absolute, normalized root; every path used must be this or below it. */
  readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  /** True when p is the root or lies below it. */
  contains(p: string): boolean {
    return this.inRoot(path.resolve(p));
  }

  private inRoot(abs: string): boolean {
    return abs === this.root || abs.startsWith(this.root === '/' ? '/' : this.root + path.sep);
  }

  /** Returns the normalized path, or throws when it escapes the root. */
  protected check(p: string): string {
    const abs = path.resolve(p);
    if (!this.inRoot(abs)) {
      throw new JobletError('INTERNAL', `cgroup path ${abs} lies outside the cgroup root ${this.root}`);
    }
    return abs;
  }

  /** Whole content of a file. */
  read(p: string): string {
    const abs = this.check(p);
    try {
      return readSmall(abs);
    } catch (err) {
      throw new SyscallError('read', abs, errnoOf(err) ?? String(err));
    }
  }

  /** Content of a file, or undefined when it does not exist (the controller or feature is absent). */
  readIfExists(p: string): string | undefined {
    const abs = this.check(p);
    try {
      return readSmall(abs);
    } catch (err) {
      if (errnoOf(err) === 'ENOENT') return undefined;
      throw new SyscallError('read', abs, errnoOf(err) ?? String(err));
    }
  }

  /**
   * Writes data in one write(2). No O_CREAT: cgroupfs files exist only when the kernel made them, so
   * a missing file must fail (ENOENT) rather than silently become a plain file in a fake tree.
   * No read access either: write-only files such as cgroup.kill refuse O_RDWR.
   */
  write(p: string, data: string): void {
    const abs = this.check(p);
    let fd: number | undefined;
    try {
      fd = fs.openSync(abs, fs.constants.O_WRONLY | fs.constants.O_TRUNC);
      fs.writeSync(fd, data);
    } catch (err) {
      throw new SyscallError('write', `${abs}, "${data}"`, errnoOf(err) ?? String(err));
    } finally {
      if (fd !== undefined) fs.closeSync(fd);
    }
  }

  /** True when the path exists. */
  exists(p: string): boolean {
    return fs.existsSync(this.check(p));
  }

  /** Creates one directory; the parent must exist. */
  mkdir(p: string): void {
    const abs = this.check(p);
    try {
      fs.mkdirSync(abs, { mode: 0o755 });
    } catch (err) {
      throw new SyscallError('mkdir', abs, errnoOf(err) ?? String(err));
    }
  }

  /** Removes one (cgroup) directory. */
  rmdir(p: string): void {
    const abs = this.check(p);
    try {
      fs.rmdirSync(abs);
    } catch (err) {
      throw new SyscallError('rmdir', abs, errnoOf(err) ?? String(err));
    }
  }

  /** Names of the subdirectories (child cgroups) of a directory; [] when it does not exist. */
  listDirs(p: string): string[] {
    const abs = this.check(p);
    try {
      return fs
        .readdirSync(abs, { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => e.name);
    } catch (err) {
      if (errnoOf(err) === 'ENOENT') return [];
      throw new SyscallError('readdir', abs, errnoOf(err) ?? String(err));
    }
  }
}
