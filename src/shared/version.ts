/**
 * Version and commit of this build. build.mjs replaces the two constants below at bundle time
 * (esbuild `define`); under tsx or plain tsc output they are undefined and we fall back.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** package.json version, injected by build.mjs. */
declare const JOBLET_VERSION: string | undefined;
/** `git rev-parse --short HEAD` at build time ("unknown" outside a git checkout), injected by build.mjs. */
declare const JOBLET_COMMIT: string | undefined;

/** RFC3339 time of the build, injected by build.mjs. */
declare const JOBLET_BUILD_DATE: string | undefined;

let devVersion: string | undefined;

/** Semantic version of this program, e.g. "0.1.0"; "<package.json version>-dev" in unbundled runs. */
export function version(): string {
  if (typeof JOBLET_VERSION === 'string') return JOBLET_VERSION;
  devVersion ??= readPackageVersion();
  return devVersion;
}

/** Short git commit this build was made from; "dev" in unbundled runs. */
export function commit(): string {
  return typeof JOBLET_COMMIT === 'string' ? JOBLET_COMMIT : 'dev';
}

/** When this executable was built (RFC3339); "" in unbundled runs. */
export function buildDate(): string {
  return typeof JOBLET_BUILD_DATE === 'string' ? JOBLET_BUILD_DATE : '';
}

/** One line for `--version` output: "<program> 0.1.0 (commit abc1234, node v24.21.0)". */
export function versionLine(program: string): string {
  return `${program} ${version()} (commit ${commit()}, node ${process.version})`;
}

function readPackageVersion(): string {
  try {
    // Unbundled, this file lives at src/shared/version.ts, two levels below package.json.
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version?: unknown };
    if (typeof pkg.version === 'string') return `${pkg.version}-dev`;
  } catch {
    // Not run from a checkout: no package.json to read; the fallback below still identifies a dev build.
  }
  return '0.0.0-dev';
}
