#!/usr/bin/env node
/**
 * `npm run build:clients`: client-only `rnx` executables for the desktops, offline apart from the
 * npm registry (which carries the official Node binaries):
 *
 *   dist/clients/rnx-linux-x64     dist/clients/rnx-linux-arm64
 *   dist/clients/rnx-darwin-x64    dist/clients/rnx-darwin-arm64    dist/clients/rnx-win-x64.exe
 *
 * Each is a Node single executable of the `rnx` part (src/cli/start.ts, with no daemon, sandbox,
 * store or koffi code: the build refuses otherwise) behind src/client.ts, with the web console's
 * files, made like dist/joblet (build.mjs) but from the target's Node:
 *   - every client carries the same Node version, pinned in build/client-node.json (chosen by the
 *     rule in build/client-node.mjs: the product's own Node where the npm registry has it for
 *     every platform); a platform without it fails the build;
 *   - the base binary is the target's official Node from npm (build/platform-node.mjs, cached);
 *   - the SEA blob is made by the linux-x64 Node of that version. The blob's format depends on
 *     Node's version, not on the platform: src/node_sea.cc serialises fixed-width little-endian
 *     fields with no per-platform branch;
 *   - V8 code caches are only made by the target's own Node: natively for linux-x64, under
 *     qemu-aarch64-static for linux-arm64 (when installed; without it that client simply compiles
 *     at start), never for macOS and Windows, whose Node cannot run here;
 *   - Mach-O: postject adds the NODE_SEA segment Node looks for on macOS and drops Node's own
 *     signature; build/macho.mjs then signs ad hoc, as Apple Silicon requires;
 *   - PE: Node's Authenticode signature is removed first (it would point into the moved
 *     resources) and the header checksum recomputed after injection (build/pe.mjs).
 * A target is rebuilt only when its inputs changed (a stamp beside each output).
 *
 *   node build/clients.mjs [TARGET...]       e.g. node build/clients.mjs linux-arm64 win-x64
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BuildError, ROOT, Steps, cleanEnv, size } from './common.mjs';
import { clientNode } from './client-node.mjs';
import { CONSOLE_OUT, buildConsole, consoleAssets } from './console.mjs';
import { adhocSign } from './macho.mjs';
import { CLIENT_FORBIDDEN, bundle, codeCache } from './parts.mjs';
import { stripAuthenticode, withChecksum } from './pe.mjs';
import { platformNode } from './platform-node.mjs';
import { inject, makeBlob } from './sea.mjs';

/** Where the client executables go. */
export const CLIENTS_DIR = path.join(ROOT, 'dist', 'clients');
const PARTS_DIR = path.join(CLIENTS_DIR, 'parts');
const AARCH64_SYSROOT = '/usr/aarch64-linux-gnu';

/** The targets; their Node is build/client-node.json's, one version for all. */
export const TARGETS = [
  { id: 'linux-x64', format: 'elf', cache: 'native' },
  { id: 'linux-arm64', format: 'elf', cache: 'qemu-aarch64' },
  { id: 'darwin-x64', format: 'macho' },
  { id: 'darwin-arm64', format: 'macho' },
  { id: 'win-x64', format: 'pe', suffix: '.exe' },
];

/** Path of a target's executable. */
export function clientPath(id) {
  const t = TARGETS.find((x) => x.id === id);
  if (!t) throw new BuildError(`unknown target ${id} (known: ${TARGETS.map((x) => x.id).join(', ')})`);
  return path.join(CLIENTS_DIR, `rnx-${t.id}${t.suffix ?? ''}`);
}

/** How to run the target's own Node on this machine, for its code cache; undefined when it cannot run here. */
function runnerFor(t, base) {
  if (t.cache === 'native') return [base];
  if (t.cache === 'qemu-aarch64') {
    const qemu = ['/usr/bin/qemu-aarch64-static', '/usr/bin/qemu-aarch64'].find((q) => fs.existsSync(q));
    if (!qemu || !fs.existsSync(path.join(AARCH64_SYSROOT, 'lib', 'libstdc++.so.6'))) return undefined;
    return [qemu, '-L', AARCH64_SYSROOT, base];
  }
  return undefined;
}

/** Run `argv` (a Node, possibly under qemu) with `args`; throw with its stderr on failure. */
function runNode(argv, args) {
  const r = spawnSync(argv[0], [...argv.slice(1), ...args], { encoding: 'utf8', env: cleanEnv() });
  if (r.status !== 0) throw new Error(`${argv.join(' ')} ${args.join(' ')} exited ${r.status ?? r.signal}: ${(r.stderr || r.stdout || r.error?.message || '').trim()}`);
  return r.stdout;
}

/** sha256 over files and strings: what a target's output is made from. */
function stampOf(parts) {
  const h = createHash('sha256');
  for (const p of parts) h.update(typeof p === 'string' && fs.existsSync(p) && fs.statSync(p).isFile() ? fs.readFileSync(p) : String(p)).update('\0');
  return h.digest('hex');
}

/** Build one target; returns a line for the summary. */
async function buildTarget(t, files, node) {
  const out = clientPath(t.id);
  const pin = node.platforms[t.id];
  const base = platformNode(pin);
  const version = node.version;
  const runner = runnerFor(t, base);
  const consoleFiles = consoleAssets();
  const stampFile = `${out}.stamp`;
  // The base is named by its registry integrity (checked when fetched): hashing 100+ MB per
  // target would make an up-to-date check cost seconds.
  const baseId = `${pin.name}@${version} ${pin.integrity}`;
  const stamp = stampOf([t.id, version, baseId, files.client.file, files.rnx.file, ...Object.values(consoleFiles), ...fs.readdirSync(path.join(ROOT, 'build')).sort().map((f) => path.join(ROOT, 'build', f)), runner ? runner.join(' ') : 'no cache']);
  if (fs.existsSync(out) && fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8') === stamp) return `  ${path.relative(ROOT, out).padEnd(31)} ${size(out).padStart(9)}  (unchanged)`;

  // Per process: a second build in the same checkout (a test run beside a manual build) must not delete this one's files.
  const work = path.join(CLIENTS_DIR, `.work-${t.id}-${process.pid}`);
  fs.rmSync(work, { recursive: true, force: true });
  fs.mkdirSync(work, { recursive: true });
  try {
    const part = path.join(work, 'rnx.js');
    fs.copyFileSync(files.rnx.file, part);
    const assets = { 'parts/rnx.js': part, ...consoleFiles };
    // The cache must come from the target's own Node: V8 refuses any other, and its code is per CPU.
    if (runner) {
      runNode(runner, [path.join(ROOT, 'build', 'code-cache.cjs'), '--warm', part]);
      assets['parts/rnx.cache'] = part.replace(/\.js$/, '.cache');
    }
    const blob = path.join(work, 'sea-prep.blob');
    const config = path.join(work, 'sea-config.json');
    // The blob is made by a linux-x64 Node of the target's version, except where the target's own
    // Node runs here and can also cache the (small) main script.
    const blobRunner = runner ?? [platformNode(node.platforms['linux-x64'])];
    const sea = { main: files.client.file, output: blob, disableExperimentalSEAWarning: true, useSnapshot: false, useCodeCache: Boolean(runner), execArgvExtension: 'none', assets };
    fs.writeFileSync(config, JSON.stringify(sea, null, 2) + '\n');
    runNode(blobRunner, ['--experimental-sea-config', config]);
    const prepare = t.format === 'pe' ? stripAuthenticode : undefined;
    const finish = t.format === 'macho' ? (bytes) => adhocSign(bytes, 'rnx') : t.format === 'pe' ? withChecksum : undefined;
    await inject({ base, out, blob, macho: t.format === 'macho', prepare, finish });
    fs.writeFileSync(stampFile, stamp);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  const notes = [`node ${version}`, runner ? 'code cache' : 'no code cache', t.format === 'macho' ? 'ad-hoc signed' : '', t.format === 'pe' ? 'Authenticode removed' : ''].filter(Boolean);
  return `  ${path.relative(ROOT, out).padEnd(31)} ${size(out).padStart(9)}  (${notes.join(', ')})`;
}

async function main() {
  const t0 = performance.now();
  const steps = new Steps();
  const wanted = process.argv.slice(2);
  for (const id of wanted) clientPath(id);
  const targets = wanted.length ? TARGETS.filter((t) => wanted.includes(t.id)) : TARGETS;
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const commit = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).stdout?.trim() || 'unknown';
  // Every platform, not only the wanted ones: the blobs are made by linux-x64's Node, and one
  // version for all is the point.
  const node = await steps.run('preflight', () => clientNode(TARGETS.map((t) => t.id)));
  fs.mkdirSync(CLIENTS_DIR, { recursive: true });
  if (!fs.existsSync(path.join(CONSOLE_OUT, 'manifest.json'))) await steps.run('console', buildConsole);
  const files = await steps.run('bundle', () =>
    bundle({ outdir: PARTS_DIR, main: { client: path.join(ROOT, 'src', 'client.ts') }, parts: { rnx: 'src/cli/start.ts' }, version: pkg.version, commit, forbid: { client: CLIENT_FORBIDDEN, rnx: CLIENT_FORBIDDEN } }),
  );
  const lines = [];
  for (const t of targets) lines.push(await steps.run(t.id, () => buildTarget(t, files, node)));
  process.stdout.write(
    [
      `rnx ${pkg.version} (commit ${commit}) client-only executables, Node ${node.version}`,
      `  ${path.relative(ROOT, files.rnx.file).padEnd(31)} ${size(files.rnx.file).padStart(9)}  (${files.rnx.modules} modules)`,
      ...lines,
      `  ${steps.summary()}; total ${((performance.now() - t0) / 1000).toFixed(1)}s`,
      '',
    ].join('\n'),
  );
}

// Also imported by the tests (for TARGETS and clientPath): build only when run.
if (process.argv[1] && path.resolve(process.argv[1]) === path.join(ROOT, 'build', 'clients.mjs')) {
  main().catch((err) => {
    process.stderr.write(`build:clients: FAILED: ${err instanceof Error ? err.message : String(err)}\n`);
    if (!(err instanceof BuildError) && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    process.exitCode = 1;
  });
}
