/**
 * The release packages for tests: `npm run package` builds them once per content (cached under
 * node_modules/.cache/joblet-packages, which CI keeps with node_modules), dpkg that waits for the
 * lock other apt/dpkg users hold, and a host-wide lock so that two runs of the package tests
 * (two worktrees, two tiers) never install the one `joblet` package at the same time.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { exec, ROOT, type RunResult } from './daemon';

/** Where built packages are kept between runs, one directory per content hash. */
export const PACKAGE_CACHE = path.join(ROOT, 'node_modules', '.cache', 'joblet-packages');
const HOST_LOCK = '/run/lock/joblet-package-test';

/** Every input of a package build: the executable, the packaging files and the builder. */
function inputs(): string[] {
  const walk = (dir: string): string[] =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
  return [
    path.join(ROOT, 'dist', 'joblet'),
    ...walk(path.join(ROOT, 'packaging')),
    ...walk(path.join(ROOT, 'scripts', 'package')),
    ...['scripts/package.mjs', 'scripts/install-deps.sh', 'install.sh', 'README.md', 'LICENSE', 'package.json'].map((f) => path.join(ROOT, f)),
  ].sort();
}

/** Content hash of the inputs, the format and the version. */
function cacheKey(format: string, version: string): string {
  const h = createHash('sha256').update(`${format}\0${version}\0`);
  for (const f of inputs()) h.update(path.relative(ROOT, f)).update('\0').update(fs.readFileSync(f));
  return h.digest('hex').slice(0, 16);
}

/** File name the builder gives each format. */
function artifactName(format: 'deb' | 'rpm' | 'tar', version: string): string {
  if (format === 'deb') return `joblet_${version}_amd64.deb`;
  if (format === 'rpm') return `joblet-${version}-1.x86_64.rpm`;
  return `joblet-${version}-linux-x64.tar.gz`;
}

/**
 * Path of the package `format` at `version`, built from dist/joblet with `npm run package --
 * --no-build --fast` unless a build of the same inputs is cached. Older builds of the same format
 * and version are dropped from the cache.
 */
export async function buildPackage(format: 'deb' | 'rpm' | 'tar', version: string): Promise<string> {
  const key = cacheKey(format, version);
  const dir = path.join(PACKAGE_CACHE, `${format}-${version}-${key}`);
  const out = path.join(dir, artifactName(format, version));
  if (fs.existsSync(out)) return out;
  fs.mkdirSync(PACKAGE_CACHE, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(PACKAGE_CACHE, '.build-'));
  try {
    const r = await exec(process.execPath, ['scripts/package.mjs', '--no-build', '--no-clients', '--fast', '--only', format, '--version', version, '--out', tmp], {
      cwd: ROOT,
      timeoutMs: 600_000,
    });
    if (r.code !== 0) throw new Error(`npm run package (${format} ${version}) failed (${r.code}):\n${r.stdout}${r.stderr}`);
    for (const old of fs.readdirSync(PACKAGE_CACHE)) if (old.startsWith(`${format}-${version}-`)) fs.rmSync(path.join(PACKAGE_CACHE, old), { recursive: true, force: true });
    fs.rmSync(path.join(tmp, 'SHA256SUMS'), { force: true });
    try {
      fs.renameSync(tmp, dir);
    } catch (err) {
      // Another test file built the same content at the same time: theirs is as good.
      if (!fs.existsSync(out)) throw err;
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return out;
}

/** dpkg with its arguments, retried while another apt/dpkg holds the lock (the machine is shared). */
export async function dpkg(args: string[], env: Record<string, string> = {}): Promise<RunResult> {
  const until = Date.now() + 300_000;
  for (;;) {
    const r = await exec('dpkg', args, { env: { DEBIAN_FRONTEND: 'noninteractive', ...env }, timeoutMs: 300_000 });
    if (r.code === 0 || !/lock|locked/i.test(r.stderr) || Date.now() > until) return r;
    await new Promise((res) => setTimeout(res, 2000));
  }
}

/** Is a process with this pid alive? */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Take the host-wide package-test lock (a directory holding the owner's pid; a dead owner's lock
 * is taken over). Returns the release function.
 */
export async function hostPackageLock(timeoutMs = 900_000): Promise<() => void> {
  const until = Date.now() + timeoutMs;
  fs.mkdirSync(path.dirname(HOST_LOCK), { recursive: true });
  for (;;) {
    try {
      fs.mkdirSync(HOST_LOCK);
      fs.writeFileSync(path.join(HOST_LOCK, 'pid'), String(process.pid));
      return () => fs.rmSync(HOST_LOCK, { recursive: true, force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let owner = 0;
    try {
      owner = Number(fs.readFileSync(path.join(HOST_LOCK, 'pid'), 'utf8'));
    } catch {
      // Being written this instant, or a crash between mkdir and write: judged on the next round.
    }
    const stale = owner ? !alive(owner) : Date.now() - (fs.statSync(HOST_LOCK, { throwIfNoEntry: false })?.mtimeMs ?? 0) > 10_000;
    if (stale) fs.rmSync(HOST_LOCK, { recursive: true, force: true });
    else if (Date.now() > until) throw new Error(`${HOST_LOCK} is held by pid ${owner || '?'} for ${timeoutMs / 1000} s (another package test run)`);
    else await new Promise((res) => setTimeout(res, 1000));
  }
}
