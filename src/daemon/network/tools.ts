/**
 * The two host tools networks are built with, run as child processes: `ip` (iproute2) and `nft`
 * (nftables). Found once by absolute path (a service's PATH may lack /usr/sbin); every failure
 * names the command line and what the tool printed.
 */
import { JobletError } from '../../shared/errors';
import { locateTools, runTool, toolDirs } from '../host-tools';


/** Tool name → the Debian package that provides it. */
export const TOOL_PACKAGES = { ip: 'iproute2', nft: 'nftables' } as const;
/** A tool we run. */
export type Tool = keyof typeof TOOL_PACKAGES;


/** Runs ip and nft. */
export class HostTools {
  private constructor(private readonly paths: Record<Tool, string>) {}

  /**
   * Find both tools; the error says which are missing and how to install them. Returns a
   * FAILED_PRECONDITION error instead of tools when one is absent (the caller decides whether that
   * is fatal).
   */
  static locate(dirs = toolDirs()): HostTools | JobletError {
    const { paths, missing } = locateTools(TOOL_PACKAGES, dirs);
    if (missing.length === 0) return new HostTools(paths as Record<Tool, string>);
    const pkgs = missing.map((t) => TOOL_PACKAGES[t]).join(' ');
    return new JobletError(
      'FAILED_PRECONDITION',
      `job networks need ${missing.map((t) => `'${t}'`).join(' and ')}, which ${missing.length > 1 ? 'are' : 'is'} not installed on this server (apt-get install ${pkgs})`,
    );
  }

  /** Run a tool with arguments and optional stdin; resolves to stdout, rejects with a clear error. */
  run(tool: Tool, args: string[], input?: string): Promise<string> {
    return runTool(this.paths[tool], tool, args, { input, timeoutMs: 30_000, detailLines: 6 });
  }

  /** `ip -batch -`: several ip commands in one process (one per line); stops at the first failure. */
  ipBatch(lines: string[], netns?: string): Promise<string> {
    return this.run('ip', [...(netns ? ['-n', netns] : []), '-batch', '-'], lines.join('\n') + '\n');
  }

  /** `ip -j ...` parsed. */
  async ipJson<T>(args: string[]): Promise<T> {
    const out = await this.run('ip', ['-j', ...args]);
    return (out.trim() ? JSON.parse(out) : []) as T;
  }
}
