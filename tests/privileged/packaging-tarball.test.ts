/**
 * The release tarball: unpacked anywhere, its install.sh installs the executable it carries (no
 * source checkout, nothing to build), makes certificates and configs, and `--uninstall --purge`
 * removes all of it again. Paths are this test's own (--prefix, --config-dir, --state-dir) and
 * the daemon is not started (--no-start): the .deb test covers a running installed daemon.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { exec, freePort } from '../helpers/daemon';
import { buildPackage, hostPackageLock } from '../helpers/packages';
import { requireRoot } from './security/helpers';

const it = requireRoot() ? test : test.skip;
const VERSION = (JSON.parse(fs.readFileSync(path.join(__dirname, '../../package.json'), 'utf8')) as { version: string }).version;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'joblet-tarball-'));
const prefix = path.join(dir, 'prefix');
const configDir = path.join(dir, 'config');
const stateDir = path.join(dir, 'state');
let release: (() => void) | undefined;
let unpacked = '';

test.before(async () => {
  if (process.getuid?.() !== 0) return;
  const tarball = await buildPackage('tar', VERSION);
  // install.sh links /etc/joblet/rnx-config.yml and uses /run/joblet.pid: one package test at a time.
  release = await hostPackageLock();
  const r = await exec('tar', ['xzf', tarball, '-C', dir]);
  if (r.code !== 0) throw new Error(`tar xzf: ${r.stderr}`);
  unpacked = path.join(dir, `joblet-${VERSION}-linux-x64`);
});

test.after(async () => {
  try {
    if (unpacked) await exec(path.join(unpacked, 'install.sh'), ['--uninstall', '--purge', '--prefix', prefix, '--config-dir', configDir, '--state-dir', stateDir]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    release?.();
  }
});

it('install.sh from the unpacked tarball installs its executable and configs; --uninstall --purge removes them', async () => {
  const files = fs.readdirSync(unpacked).sort();
  for (const f of ['LICENSE', 'README.md', 'THIRD-PARTY-NOTICES.txt', 'completions', 'install-deps.sh', 'install.sh', 'joblet', 'joblet-maint', 'joblet.service', 'rnx']) {
    assert.ok(files.includes(f), `the tarball holds ${f}: ${files.join(' ')}`);
  }
  const port = await freePort();
  const opts = ['--prefix', prefix, '--config-dir', configDir, '--state-dir', stateDir];
  const r = await exec(path.join(unpacked, 'install.sh'), ['--no-start', ...opts, '--address', `127.0.0.1:${port}`], { timeoutMs: 300_000 });
  assert.is(r.code, 0, `install.sh failed:\n${r.stdout}${r.stderr}`);
  assert.match(r.stdout, /installing the release executable/);
  assert.not.match(r.stdout + r.stderr, /npm|building/);
  assert.ok(fs.readFileSync(path.join(prefix, 'bin/joblet')).equals(fs.readFileSync(path.join(unpacked, 'joblet'))), 'the installed executable is the tarball\'s');
  assert.is(fs.readlinkSync(path.join(prefix, 'bin/rnx')), 'joblet');
  const v = await exec(path.join(prefix, 'bin/rnx'), ['--version']);
  assert.is(v.code, 0, v.stderr);
  assert.match(v.stdout, new RegExp(`rnx ${VERSION.replace(/\./g, '\\.')}`));
  assert.match(fs.readFileSync(path.join(configDir, 'joblet-config.yml'), 'utf8'), new RegExp(`address: "127.0.0.1:${port}"`));
  assert.ok(fs.existsSync(path.join(configDir, 'rnx-config.yml')));

  const u = await exec(path.join(unpacked, 'install.sh'), ['--uninstall', '--purge', ...opts], { timeoutMs: 120_000 });
  assert.is(u.code, 0, `install.sh --uninstall --purge failed:\n${u.stdout}${u.stderr}`);
  for (const p of [path.join(prefix, 'bin/joblet'), path.join(prefix, 'bin/rnx'), configDir, stateDir, '/etc/joblet/rnx-config.yml']) {
    assert.is(fs.lstatSync(p, { throwIfNoEntry: false }), undefined, `${p} is gone`);
  }
});

test.run();
