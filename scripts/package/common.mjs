/**
 * What every package format shares: paths, the version and build time, running tools, the staged
 * file tree (one list of what is installed where, with modes), and timestamps clamped for
 * reproducible archives.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DIST = path.join(ROOT, 'dist');
export const PACKAGING = path.join(ROOT, 'packaging');
/** The one executable the build makes (`npm run build`): every package ships this very file. */
export const EXE = path.join(DIST, 'joblet');
export const SUMMARY = 'Secure Linux job execution daemon and its client (rnx)';
export const DESCRIPTION = [
  'joblet runs commands for remote clients (people, CI systems, AI agents)',
  'inside sandboxes: each job gets its own PID, mount, UTS, IPC and network',
  'namespaces, a minimal read-only root, an unprivileged user without',
  'capabilities, a seccomp filter and its own cgroup with limits. Clients',
  'talk to the daemon over gRPC with mutual TLS; output streams back live.',
  '.',
  'One executable: joblet is the daemon and its admin tooling, rnx the client.',
];
export const MAINTAINER = 'joblet maintainers <maintainers@joblet.invalid>';

/** A failure with a message for the person running the build. */
export class PackageError extends Error {}

/** Run a program; returns stdout; throws PackageError with its stderr when it fails. */
export function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...opts, env: { ...process.env, ...opts.env } });
  if (r.error) throw new PackageError(`${cmd}: ${r.error.code === 'ENOENT' ? `not installed (${opts.hint ?? 'see scripts/install-deps.sh --package'})` : r.error.message}`);
  if (r.status !== 0) throw new PackageError(`${cmd} ${args.join(' ')} exited ${r.status ?? r.signal}:\n${(r.stderr || r.stdout || '').trim()}`);
  return r.stdout;
}

/** Is `cmd` on the PATH? */
export function have(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** Seconds since the epoch of the last commit (SOURCE_DATE_EPOCH wins), so archives do not change with the clock. */
export function sourceDateEpoch() {
  if (process.env.SOURCE_DATE_EPOCH) return Number(process.env.SOURCE_DATE_EPOCH);
  try {
    return Number(execFileSync('git', ['log', '-1', '--format=%ct'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  } catch {
    return Math.floor(fs.statSync(path.join(ROOT, 'package.json')).mtimeMs / 1000);
  }
}

/** One installed file: where it goes, and its content (a source path or text), mode, or a symlink target. */
export function file(dest, from, mode = 0o644) {
  return { dest, from, mode };
}
export function text(dest, content, mode = 0o644) {
  return { dest, content, mode };
}
export function link(dest, target) {
  return { dest, target };
}

/** Write `entries` under `root` (a fresh directory): parents 0755, modes as given. */
export function stage(root, entries) {
  fs.rmSync(root, { recursive: true, force: true });
  fs.mkdirSync(root, { recursive: true, mode: 0o755 });
  for (const e of entries) {
    const dest = path.join(root, e.dest);
    fs.mkdirSync(path.dirname(dest), { recursive: true, mode: 0o755 });
    if (e.target !== undefined) fs.symlinkSync(e.target, dest);
    else if (e.content !== undefined) fs.writeFileSync(dest, e.content);
    // A copy (a reflink where the filesystem can), never a hard link: clampTree sets the staged
    // file's times, which on a shared inode would change dist/joblet itself (install.sh compares
    // its mtime with the sources) and disturb a parallel build's tar reading the same inode.
    else fs.copyFileSync(e.from, dest, fs.constants.COPYFILE_FICLONE);
    if (e.target === undefined) fs.chmodSync(dest, e.mode);
  }
}

/** Set every mtime under `root` (symlinks included, not followed) and umask-proof directory modes. */
export function clampTree(root, epoch) {
  const walk = (p) => {
    const st = fs.lstatSync(p);
    if (st.isDirectory()) {
      fs.chmodSync(p, 0o755);
      for (const e of fs.readdirSync(p)) walk(path.join(p, e));
    }
    fs.lutimesSync(p, epoch, epoch);
  };
  walk(root);
}

/** The text of a packaging file with `#JOBLET_MAINT#` replaced by the shared shell library. */
export function withMaintLibrary(scriptPath) {
  const maint = fs.readFileSync(path.join(PACKAGING, 'joblet-maint.sh'), 'utf8');
  const m = /# ---- begin library[^\n]*\n([\s\S]*?)# ---- end library ----/.exec(maint);
  if (!m) throw new PackageError('packaging/joblet-maint.sh lost its "begin library"/"end library" markers');
  const script = fs.readFileSync(scriptPath, 'utf8');
  if (!script.includes('#JOBLET_MAINT#')) throw new PackageError(`${path.relative(ROOT, scriptPath)} has no #JOBLET_MAINT# line`);
  // A function, not a string: in a replacement string "$$" would become "$" (the library's "$$"
  // is the shell's own pid) and "$&", "$'" would insert parts of the match.
  const library = `# ---- shared with packaging/joblet-maint.sh ----\n${m[1]}# ---- end of the shared part ----`;
  return script.replace('#JOBLET_MAINT#', () => library);
}

/** A file's size for humans. */
export function size(bytes) {
  return bytes >= 1 << 20 ? `${(bytes / (1 << 20)).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(0)} KiB`;
}

/** Total size in KiB of the regular files under `root` (dpkg's Installed-Size). */
export function installedKiB(root) {
  let total = 0;
  const walk = (p) => {
    const st = fs.lstatSync(p);
    if (st.isDirectory()) for (const e of fs.readdirSync(p)) walk(path.join(p, e));
    else total += Math.ceil(st.size / 1024) || 1;
  };
  walk(root);
  return total;
}
