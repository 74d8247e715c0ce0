/**
 * The host tools filesystem volumes are built with, run as child processes: `losetup`
 * (util-linux) to attach and detach loop devices, `mkfs.ext4` (e2fsprogs) to format images.
 * Found by absolute path (a service's PATH may lack /usr/sbin); every failure names the command
 * line and what the tool printed.
 */
import { FailedPreconditionError, JobletError } from '../../shared/errors';
import { locateTools, runTool } from '../host-tools';

/** Tool name → the Debian package that provides it. */
const PACKAGES = { losetup: 'mount', 'mkfs.ext4': 'e2fsprogs' } as const;
type Tool = keyof typeof PACKAGES;

/** Runs losetup and mkfs.ext4. */
export class VolumeTools {
  private constructor(private readonly paths: Record<Tool, string>) {}

  /** Find both tools, or throw an error that names the missing ones and their packages. */
  static locate(): VolumeTools {
    const { paths, missing } = locateTools(PACKAGES);
    if (missing.length === 0) return new VolumeTools(paths as Record<Tool, string>);
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
    return runTool(this.paths[tool], tool, args, { timeoutMs: 120_000, detailLines: 4 });
  }
}
