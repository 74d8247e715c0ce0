/**
 * Small helpers shared by build.mjs (the joblet executable) and build/clients.mjs (the client-only
 * executables): timed steps whose failures name the step, a clean environment for child
 * processes, sizes for the summary.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout this build runs in. */
export const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

/** Fuse string compiled into official Node binaries; postject flips it so Node looks for the blob. */
export const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

/** A build step failed; the message says what to do about it. */
export class BuildError extends Error {}

/** Runs named steps, times them, and turns any failure into a BuildError naming the step. */
export class Steps {
  /** [name, ms] of each finished step. */
  timings = [];

  /** Run one named step. */
  async run(name, fn) {
    const t0 = performance.now();
    try {
      const result = await fn();
      this.timings.push([name, performance.now() - t0]);
      return result;
    } catch (err) {
      const detail = err instanceof Error ? err.message : String(err);
      throw new BuildError(`step "${name}" failed: ${detail}`);
    }
  }

  /** "console 0.5s, bundle 3.8s, ...". */
  summary() {
    return this.timings.map(([n, ms]) => `${n} ${(ms / 1000).toFixed(1)}s`).join(', ');
  }
}

/** Fail unless `file` exists, naming what should have provided it. */
export function requireFile(file, hint) {
  if (!fs.existsSync(file)) throw new BuildError(`missing ${path.relative(ROOT, file)} (${hint})`);
}

/** Environment for child processes: PATH only, so NODE_OPTIONS and friends cannot change the output. */
export function cleanEnv() {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin' };
}

/** Remove a file or symlink if present (never a directory). */
export function removeIfPresent(file) {
  fs.rmSync(file, { force: true });
}

/** "1.2 MiB" / "340 KiB". */
export function size(fileOrBytes) {
  const bytes = typeof fileOrBytes === 'number' ? fileOrBytes : fs.statSync(fileOrBytes).size;
  return bytes >= 1 << 20 ? `${(bytes / (1 << 20)).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(0)} KiB`;
}

/** "12.3 KiB". */
export function kib(bytes) {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}
