/**
 * The host tools filesystem volumes are built with, run as child processes: `losetup`
 * (util-linux) to attach and detach loop devices, `mkfs.ext4` (e2fsprogs) to format images.
 * Found by absolute path (a service's PATH may lack /usr/sbin); every failure names the command
 * line and what the tool printed.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FailedPreconditionError, JobletError } from '../../shared/errors';

/** Tool name → the Debian package that provides it. */
const PACKAGES = { losetup: 'util-linux', 'mkfs.ext4': 'e2fsprogs' } as const;
type Tool = keyof typeof PACKAGES;

const SYSTEM_DIRS = ['/usr/sbin', '/sbin', '/usr/bin', '/bin', '/usr/local/sbin', '/usr/local/bin'];

/** Absolute path of executable `name` in the system directories or $PATH, or undefined. */
function findTool(name: string, envPath = process.env.PATH ?? ''): string | undefined {
  for (const dir of [...SYSTEM_DIRS, ...envPath.split(':').filter((d) => path.isAbsolute(d))]) {
    const p = path.join(dir, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      if (fs.statSync(p).isFile()) return p;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

/** Runs losetup and mkfs.ext4. */
export class VolumeTools {
  private constructor(private readonly paths: Record<Tool, string>) {}

  /** Find both tools, or throw an error that names the missing ones and their packages. */
  static locate(): VolumeTools {
    const found: Partial<Record<Tool, string>> = {};
    const missing: Tool[] = [];
    for (const t of Object.keys(PACKAGES) as Tool[]) {
      const p = findTool(t);
      if (p) found[t] = p;
      else missing.push(t);
    }
    if (missing.length === 0) return new VolumeTools(found as Record<Tool, string>);
    throw new FailedPreconditionError(
      `filesystem volumes need ${missing.map((t) => `'${t}'`).join(' and ')}, not installed on this server ` +
        `(apt-get install ${missing.map((t) => PACKAGES[t]).join(' ')}); memory volumes (--type=memory) work without`,
    );
  }

  /** Attach `image` to a free loop device; returns /dev/loopN. */
  async attach(image: string): Promise<string> {
    const dev = (await this.run('losetup', ['--find', '--show', image])).trim();
    if (!/^\/dev\/loop\d+$/.test(dev)) throw new JobletError('INTERNAL', `losetup --find --show ${image} printed '${dev}', not a loop device`);
    return dev;
  }

  /** Detach a loop device (the kernel defers it while a mount still uses the device). */
  async detach(dev: string): Promise<void> {
    try {
      await this.run('losetup', ['--detach', dev]);
    } catch (err) {
      // Already released (autoclear, or another clean-up got there first): the goal is reached.
      if (!/No such device/i.test((err as Error).message)) throw err;
    }
  }

  /**
   * Format `image` as ext4 whose root directory belongs to uid:gid. No blocks reserved for root
   * (jobs never run as root, they would lose 5%); lazy_journal_init leaves the journal's holes in
   * the sparse file unwritten, so a 1 TiB image costs ~16 MB of disk, not 1 GB.
   */
  async mkfs(image: string, uid: number, gid: number): Promise<void> {
    await this.run('mkfs.ext4', ['-q', '-F', '-m', '0', '-E', `lazy_journal_init=1,root_owner=${uid}:${gid}`, image]);
  }

  private run(tool: Tool, args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(this.paths[tool], args, { encoding: 'utf8', timeout: 120_000 }, (err, stdout, stderr) => {
        if (!err) return resolve(stdout);
        const detail = (stderr || err.message).trim().split('\n').slice(0, 4).join('; ');
        reject(new JobletError('INTERNAL', `${tool} ${args.join(' ')} failed: ${detail}`));
      });
    });
  }
}
