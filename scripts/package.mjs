#!/usr/bin/env node
/**
 * `npm run package`: the release artifacts under dist/, from one build of dist/joblet.
 *
 *   joblet_<version>_amd64.deb          Debian/Ubuntu (dpkg-deb)
 *   joblet-<version>-1.x86_64.rpm       RHEL/Fedora/SUSE (rpmbuild from Debian's rpm package)
 *   joblet-<version>-linux-x64.tar.gz   any Linux: install.sh installs from it
 *   clients/rnx-*                       client executables for other platforms (npm run build:clients)
 *   SHA256SUMS                          of everything above (`cd dist && sha256sum -c SHA256SUMS`)
 *
 * Options: --only deb,rpm,tar (default all) · --version V (package version; default package.json's)
 * · --out DIR (default dist/) · --no-build (package the dist/joblet that is there) · --fast (quick
 * compression, for tests) · --no-clients (skip build:clients) · --lintian (run lintian on the .deb).
 * Offline: needs node_modules (npm ci) and Debian's dpkg-dev, rpm and fakeroot-free tools.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DIST, EXE, PackageError, ROOT, size, sourceDateEpoch } from './package/common.mjs';
import { buildDeb } from './package/deb.mjs';
import { judgeLintian, lintianArgs } from './package/lintian.mjs';
import { buildRpm } from './package/rpm.mjs';
import { buildTarball } from './package/tarball.mjs';

const FORMATS = { deb: buildDeb, rpm: buildRpm, tar: buildTarball };

function parseArgs(argv) {
  const o = { only: Object.keys(FORMATS), version: undefined, out: DIST, build: true, fast: false, clients: true, lintian: false };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s);
    const value = () => inline ?? argv[++i] ?? fail(`${flag} needs a value`);
    if (flag === '--only') o.only = value().split(',').map((s) => s.trim());
    else if (flag === '--version') o.version = value();
    else if (flag === '--out') o.out = path.resolve(value());
    else if (flag === '--no-build') o.build = false;
    else if (flag === '--fast') o.fast = true;
    else if (flag === '--no-clients') o.clients = false;
    else if (flag === '--lintian') o.lintian = true;
    else if (flag === '-h' || flag === '--help') {
      process.stdout.write(fs.readFileSync(new URL(import.meta.url), 'utf8').split('*/')[0].replace(/^[\s\S]*?\/\*\*\n/, '').replace(/^ \* ?/gm, ''));
      process.exit(0);
    } else fail(`unknown option '${flag}' (see --help)`);
  }
  for (const f of o.only) if (!FORMATS[f]) fail(`unknown format '${f}' in --only (deb, rpm, tar)`);
  return o;
}

function fail(message) {
  throw new PackageError(message);
}

/** `npm run SCRIPT` in the checkout, output shown; throws when it fails. */
function npmRun(script) {
  const r = spawnSync('npm', ['run', '--silent', script], { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new PackageError(`npm run ${script} failed (exit ${r.status ?? r.signal})`);
}

/** The client executables for other platforms, when this checkout can build them. */
function buildClients(pkg, wanted) {
  if (!pkg.scripts?.['build:clients']) {
    console.log('package: note: this checkout has no `npm run build:clients`; client executables for other platforms (dist/clients/rnx-*) are not built');
    return;
  }
  if (!wanted) {
    console.log('package: note: --no-clients: dist/clients/rnx-* not rebuilt (existing ones are still listed in SHA256SUMS)');
    return;
  }
  npmRun('build:clients');
}

/** dist/clients/rnx-* that exist, relative to `dir`. */
function clientFiles(dir) {
  const clients = path.join(DIST, 'clients');
  if (!fs.existsSync(clients)) return [];
  return fs
    .readdirSync(clients)
    // Not the build's .stamp files beside them: they are no artifacts.
    .filter((f) => f.startsWith('rnx-') && !f.endsWith('.stamp') && fs.statSync(path.join(clients, f)).isFile())
    .sort()
    .map((f) => path.relative(dir, path.join(clients, f)));
}

function sha256(file) {
  const h = createHash('sha256');
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.alloc(1 << 20);
  for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0; ) h.update(buf.subarray(0, n));
  fs.closeSync(fd);
  return h.digest('hex');
}

/** lintian on the .deb: fails on any error or warning not overridden, or an override no longer used. */
function lintian(deb) {
  const r = spawnSync('lintian', lintianArgs(deb), { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error || r.status !== 0) throw new PackageError(`lintian could not check ${path.basename(deb)} (${r.error?.message ?? `exit ${r.status}`}): ${(r.stderr || '').trim()}`);
  const { problems, overridden } = judgeLintian(r.stdout);
  console.log(`  lintian: ${problems.length ? `${problems.length} problem(s)` : 'clean'}; ${overridden.length} overridden (packaging/deb/lintian-overrides)`);
  for (const p of problems) console.log(`  lintian: ${p}`);
  if (problems.length) throw new PackageError(`lintian found problems in ${path.basename(deb)}: fix them, or override one in packaging/deb/lintian-overrides with a comment saying why`);
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const t0 = performance.now();
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const version = o.version ?? pkg.version;
  if (!/^[0-9][A-Za-z0-9.+~]*$/.test(version)) fail(`version '${version}' must start with a digit and hold only letters, digits, . + ~`);
  if (o.build) npmRun('build');
  if (!fs.existsSync(EXE)) fail('dist/joblet is missing: run `npm run build` (or drop --no-build)');
  if (o.out === DIST) buildClients(pkg, o.clients);
  const epoch = sourceDateEpoch();
  fs.mkdirSync(o.out, { recursive: true });
  const work = fs.mkdtempSync(path.join(o.out, '.package-'));
  const made = [];
  try {
    for (const f of o.only) {
      const t = performance.now();
      const out = FORMATS[f]({ version, epoch, outDir: o.out, work, fast: o.fast });
      made.push(out);
      console.log(`  ${path.relative(ROOT, out).padEnd(44)} ${size(fs.statSync(out).size).padStart(9)}  (${((performance.now() - t) / 1000).toFixed(1)}s)`);
      if (f === 'deb' && o.lintian) lintian(out);
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  const listed = [...made.map((f) => path.relative(o.out, f)), ...(o.out === DIST ? clientFiles(o.out) : [])];
  const sums = listed.map((f) => `${sha256(path.join(o.out, f))}  ${f}\n`).join('');
  fs.writeFileSync(path.join(o.out, 'SHA256SUMS'), sums);
  for (const c of listed.filter((f) => f.startsWith('clients'))) console.log(`  ${path.relative(ROOT, path.join(o.out, c)).padEnd(44)} ${size(fs.statSync(path.join(o.out, c)).size).padStart(9)}`);
  console.log(`  ${path.relative(ROOT, path.join(o.out, 'SHA256SUMS')).padEnd(44)} ${listed.length} files; total ${((performance.now() - t0) / 1000).toFixed(1)}s`);
}

main().catch((err) => {
  process.stderr.write(`package: FAILED: ${err instanceof Error ? err.message : String(err)}\n`);
  if (!(err instanceof PackageError) && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  process.exitCode = 1;
});
