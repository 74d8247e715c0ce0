/**
 * Host programs the daemon runs as child processes (ip, nft, losetup, mkfs.ext4): found once by
 * absolute path — a service's PATH may lack /usr/sbin — and run with every failure naming the
 * command line and what the program printed.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { JobletError } from '../shared/errors';

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

/** Find every tool of `packages` (tool → Debian package); returns their paths and the missing ones. */
export function locateTools<T extends string>(packages: Record<T, string>, dirs = toolDirs()): { paths: Partial<Record<T, string>>; missing: T[] } {
  const paths: Partial<Record<T, string>> = {};
  const missing: T[] = [];
  for (const t of Object.keys(packages) as T[]) {
    const p = findTool(t, dirs);
    if (p) paths[t] = p;
    else missing.push(t);
  }
  return { paths, missing };
}

/** Run a tool with arguments and optional stdin; resolves to stdout, rejects naming the command. */
export function runTool(file: string, name: string, args: string[], opts: { input?: string; timeoutMs: number; detailLines: number }): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(file, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: opts.timeoutMs }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      const detail = (stderr || err.message).trim().split('\n').slice(0, opts.detailLines).join('; ');
      reject(new JobletError('INTERNAL', `${name} ${args.join(' ')}${opts.input !== undefined ? ' (script on stdin)' : ''} failed: ${detail}`));
    });
    // A tool that fails early closes its stdin: the failure is in its exit status and stderr, not in EPIPE.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(opts.input);
  });
}
