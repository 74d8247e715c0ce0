/**
 * Shared set-up of the runtime tests: a daemon (root: builds and jobs need namespaces, mounts and
 * cgroups), installs through the real CLI with generous deadlines (a build installs hundreds of
 * packages; the host may be busy), and a file that exists only on the host's /usr.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TestDaemon, type RunResult } from '../../helpers/daemon';

export { TestDaemon, type RunResult };

/** Longest a single install may take in a test (a busy 2-core CI machine, a cold apt cache). */
export const INSTALL_TIMEOUT_MS = 25 * 60_000;

/** Fails unless root, or says why and returns false when JOBLET_ALLOW_SKIP=1. */
export function requireRoot(what: string): boolean {
  if (process.getuid?.() === 0) return true;
  const why = `${what} needs root (it starts a daemon that builds runtimes in sandboxes)`;
  if (process.env.JOBLET_ALLOW_SKIP === '1') {
    console.log(`SKIP: ${why}`);
    return false;
  }
  throw new Error(`${why}; set JOBLET_ALLOW_SKIP=1 to skip`);
}

/** `rnx runtime install NAME [args]` with the install deadline. */
export function install(d: TestDaemon, name: string, args: string[] = []): Promise<RunResult> {
  return d.rnx(['runtime', 'install', name, ...args], { timeoutMs: INSTALL_TIMEOUT_MS });
}

/** A file that exists only in the host's /usr, for "the job never sees the host's /usr"; remove() deletes it. */
export function hostOnlyFile(): { path: string; remove(): void } {
  const p = `/usr/local/share/joblet-host-only-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, 'host only\n', { mode: 0o644 });
  return { path: p, remove: () => fs.rmSync(p, { force: true }) };
}

/** What a runtimes directory's staging area (`.build`) holds; [] when it is gone. */
export function staged(runtimesDir: string): string[] {
  const dir = path.join(runtimesDir, '.build');
  return fs.existsSync(dir) ? fs.readdirSync(dir) : [];
}

/** Parses `rnx ... --json` output. */
export function json<T = Record<string, unknown>>(r: RunResult): T {
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`not JSON (exit ${r.code}): ${r.stdout}\n${r.stderr}`);
  }
}

/** Waits until `cond` holds (polling), or fails after `ms`. */
export async function waitFor(what: string, cond: () => Promise<boolean> | boolean, ms = 60_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
