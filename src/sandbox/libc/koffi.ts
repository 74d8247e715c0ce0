/**
 * Loads koffi's native module directly with `process.dlopen`, bypassing koffi's index.js (which
 * probes the filesystem for prebuilt binaries and cannot work inside a single executable). The
 * native module's exports are the koffi API itself. In a single executable the module is a SEA
 * asset, written once to a content-hashed path under a root-only cache directory (DESIGN §2).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as KoffiModule from 'koffi';
import { JobletError } from '../../shared/errors';
import { isSingleExecutable } from '../../shared/self';

/** The koffi API (the native module's exports). */
export type Koffi = typeof KoffiModule;

/** Directory the embedded koffi.node is extracted to; root-owned, 0700. */
export const KOFFI_CACHE_DIR = '/var/cache/joblet';

const NATIVE_REL = path.join('koffi', 'build', 'koffi', 'linux_x64', 'koffi.node');

let cached: Koffi | undefined;
let nativePath: string | undefined;

/** The koffi API, loaded once per process. */
export function koffi(): Koffi {
  if (cached) return cached;
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new JobletError('FAILED_PRECONDITION', `the sandbox needs linux x64, this is ${process.platform} ${process.arch}`);
  }
  nativePath ??= isSingleExecutable() ? extractEmbedded(KOFFI_CACHE_DIR) : findInNodeModules();
  const mod = { exports: {} as Koffi };
  process.dlopen(mod, nativePath);
  cached = mod.exports;
  return cached;
}

/**
 * Path of the koffi.node this process loaded (loading it if needed), for child processes (each
 * job's init stage) to load. Extracted again when it has gone since (someone cleaned the cache
 * directory under a running daemon): without it every later job would fail to start. One stat.
 */
export function koffiPath(): string {
  koffi();
  if (isSingleExecutable() && !fs.existsSync(nativePath as string)) nativePath = extractEmbedded(KOFFI_CACHE_DIR);
  return nativePath as string;
}

/**
 * Use this koffi.node instead of finding or extracting one; for the init stage, whose parent
 * already did that work and passes the path. Must be called before the first koffi().
 */
export function useKoffiPath(file: string): void {
  if (cached) throw new JobletError('INTERNAL', 'koffi is already loaded');
  nativePath = file;
}

/** Path of koffi.node inside node_modules: walk up from this file, then ask the resolver. */
function findInNodeModules(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', NATIVE_REL);
    if (fs.existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) break;
  }
  try {
    const pkg = require.resolve('koffi/package.json');
    const candidate = path.join(path.dirname(pkg), 'build', 'koffi', 'linux_x64', 'koffi.node');
    if (fs.existsSync(candidate)) return candidate;
  } catch {
    // Not resolvable from here either; reported below.
  }
  throw new JobletError('FAILED_PRECONDITION', `cannot find ${NATIVE_REL} above ${__dirname}; run 'npm install'`);
}

/**
 * Writes the SEA asset `koffi.node` to `<cacheDir>/koffi-<sha256 prefix>.node` unless an identical
 * file is there, and returns its path. The directory must be ours and not writable by others:
 * whoever can replace that file runs code as root in the daemon.
 */
export function extractEmbedded(cacheDir: string): string {
  const sea = require('node:sea') as { getAsset(key: string): ArrayBuffer };
  const bytes = Buffer.from(sea.getAsset('koffi.node'));
  // Required here, not at the top: loading node:crypto costs the init stage ~9 ms per job.
  const crypto = require('node:crypto') as typeof import('node:crypto');
  const hash = crypto.createHash('sha256').update(bytes).digest('hex').slice(0, 16);
  const target = path.join(cacheDir, `koffi-${hash}.node`);
  fs.mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
  assertPrivate(cacheDir, 'directory');
  if (fs.existsSync(target)) {
    assertPrivate(target, 'file');
    if (fs.statSync(target).size === bytes.length) return target;
  }
  // temp + rename: a concurrent reader sees either no file or the whole file.
  const temp = `${target}.${process.pid}.tmp`;
  fs.writeFileSync(temp, bytes, { mode: 0o444, flag: 'w' });
  fs.renameSync(temp, target);
  return target;
}

/** Refuses a cache path that another user owns or that group/others can write. */
function assertPrivate(p: string, kind: 'directory' | 'file'): void {
  const st = fs.lstatSync(p);
  const euid = process.geteuid?.() ?? 0;
  const okType = kind === 'directory' ? st.isDirectory() : st.isFile();
  if (!okType || st.uid !== euid || (st.mode & 0o022) !== 0) {
    throw new JobletError(
      'FAILED_PRECONDITION',
      `refusing to load koffi from ${p}: it must be a ${kind} owned by uid ${euid} and not group/world-writable (remove it and restart)`,
    );
  }
}
