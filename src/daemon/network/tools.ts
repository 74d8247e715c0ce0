/**
 * The two host tools networks are built with, run as child processes: `ip` (iproute2) and `nft`
 * (nftables). Found once by absolute path (a service's PATH may lack /usr/sbin); every failure
 * names the command line and what the tool printed.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { JobletError } from '../../shared/errors';

/** Tool name → the Debian package that provides it. */
export const TOOL_PACKAGES = { ip: 'iproute2', nft: 'nftables' } as const;
/** A tool we run. */
export type Tool = keyof typeof TOOL_PACKAGES;

const SYSTEM_DIRS = ['/usr/sbin', '/sbin', '/usr/bin', '/bin', '/usr/local/sbin', '/usr/local/bin'];

/** Where tools are looked for: the system directories, then $PATH. */
export function toolDirs(envPath = process.env.PATH ?? ''): string[] {
  return [...SYSTEM_DIRS, ...envPath.split(':').filter((d) => path.isAbsolute(d))];
}

/** Absolute path of an executable `name` in `dirs`, or undefined. */
export function findTool(name: string, dirs = toolDirs()): string | undefined {
  for (const dir of dirs) {
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

/** Runs ip and nft. */
export class HostTools {
  private constructor(private readonly paths: Record<Tool, string>) {}

  /**
   * Find both tools; the error says which are missing and how to install them. Returns a
   * FAILED_PRECONDITION error instead of tools when one is absent (the caller decides whether that
   * is fatal).
   */
  static locate(dirs = toolDirs()): HostTools | JobletError {
    const found: Partial<Record<Tool, string>> = {};
    const missing: Tool[] = [];
    for (const t of Object.keys(TOOL_PACKAGES) as Tool[]) {
      const p = findTool(t, dirs);
      if (p) found[t] = p;
      else missing.push(t);
    }
    if (missing.length === 0) return new HostTools(found as Record<Tool, string>);
    const pkgs = missing.map((t) => TOOL_PACKAGES[t]).join(' ');
    return new JobletError(
      'FAILED_PRECONDITION',
      `job networks need ${missing.map((t) => `'${t}'`).join(' and ')}, which ${missing.length > 1 ? 'are' : 'is'} not installed on this server (apt-get install ${pkgs})`,
    );
  }

  /** Run a tool with arguments and optional stdin; resolves to stdout, rejects with a clear error. */
  run(tool: Tool, args: string[], input?: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = execFile(this.paths[tool], args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 30000 }, (err, stdout, stderr) => {
        if (!err) return resolve(stdout);
        const detail = (stderr || err.message).trim().split('\n').slice(0, 6).join('; ');
        reject(new JobletError('INTERNAL', `${tool} ${args.join(' ')}${input !== undefined ? ' (script on stdin)' : ''} failed: ${detail}`));
      });
      // A tool that fails early closes its stdin: the failure is in its exit status and stderr, not in EPIPE.
      child.stdin?.on('error', () => undefined);
      if (input === undefined) child.stdin?.end();
      else child.stdin?.end(input);
    });
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
