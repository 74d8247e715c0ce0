/**
 * The release tarball: unpacked anywhere, its install.sh installs the executable it carries (no
 * source checkout, nothing to build) and makes certificates and configs with this host's names;
 * run again it keeps them and starts the daemon in the background (no systemd here), which serves
 * a job through the installed rnx; `--uninstall` stops it and removes what it made at run time,
 * and `--purge` also deletes state and config. Configuring, starting, stopping and purging are the
 * packages' own code (joblet-maint, sourced by install.sh), so the messages are theirs. Paths,
 * instance, port and network blocks are this test's own; the shared /run/joblet.pid and
 * /var/log/joblet.log are guarded by the host-wide package-test lock.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { exec, freePort, testNetworkCidrs, type RunResult } from '../helpers/daemon';
import { buildPackage, hostPackageLock } from '../helpers/packages';
import { requireRoot } from './security/helpers';

const it = requireRoot() ? test : test.skip;
const VERSION = (JSON.parse(fs.readFileSync(path.join(__dirname, '../../package.json'), 'utf8')) as { version: string }).version;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'joblet-tarball-'));
const prefix = path.join(dir, 'prefix');
const configDir = path.join(dir, 'config');
const stateDir = path.join(dir, 'state');
const INSTANCE = `tb${process.pid.toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`.slice(0, 12);
const PIDFILE = '/run/joblet.pid';
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

function show(r: RunResult): string {
  return `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
}

/** Is `pid` a running `joblet serve`? */
function isDaemon(pid: number): boolean {
  try {
    return /joblet\0serve\0/.test(fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1'));
  } catch {
    return false;
  }
}

/** This instance's cgroup directories and interfaces: what a daemon makes at run time. */
async function runtimeLeftovers(): Promise<string[]> {
  const cg = await exec('find', ['/sys/fs/cgroup', '-maxdepth', '8', '-type', 'd', '(', '-name', INSTANCE, '-o', '-name', `${INSTANCE}-daemon`, ')']);
  const links = (await exec('ip', ['-o', 'link', 'show'])).stdout.split('\n').filter((l) => l.includes(`alias joblet/${INSTANCE}/`));
  const nft = (await exec('nft', ['list', 'table', 'inet', `joblet_${INSTANCE}`])).code === 0 ? [`nft joblet_${INSTANCE}`] : [];
  return [...cg.stdout.split('\n').filter(Boolean), ...links, ...nft];
}

const opts = ['--prefix', prefix, '--config-dir', configDir, '--state-dir', stateDir];

it('install.sh from the unpacked tarball installs its executable and configs with this host\'s names', async () => {
  const files = fs.readdirSync(unpacked).sort();
  for (const f of ['LICENSE', 'README.md', 'THIRD-PARTY-NOTICES.txt', 'completions', 'install-deps.sh', 'install.sh', 'joblet', 'joblet-maint', 'joblet.service', 'rnx']) {
    assert.ok(files.includes(f), `the tarball holds ${f}: ${files.join(' ')}`);
  }
  const port = await freePort();
  const r = await exec(path.join(unpacked, 'install.sh'), ['--no-start', ...opts, '--address', `127.0.0.1:${port}`, '--instance', INSTANCE, '--host', 'tarball.invalid'], { timeoutMs: 300_000 });
  assert.is(r.code, 0, `install.sh failed:\n${show(r)}`);
  assert.match(r.stdout, /installing the release executable/);
  assert.not.match(r.stdout + r.stderr, /npm|building/);
  // joblet-maint's configure: the names of this host and the extra one are in the certificate.
  assert.match(r.stdout, /server certificate names: .*tarball\.invalid/);
  assert.match(r.stdout, new RegExp(`admin client config is ${configDir}/rnx-config.yml`));
  assert.ok(fs.readFileSync(path.join(prefix, 'bin/joblet')).equals(fs.readFileSync(path.join(unpacked, 'joblet'))), 'the installed executable is the tarball\'s');
  assert.is(fs.readlinkSync(path.join(prefix, 'bin/rnx')), 'joblet');
  const v = await exec(path.join(prefix, 'bin/rnx'), ['--version']);
  assert.is(v.code, 0, v.stderr);
  assert.match(v.stdout, new RegExp(`rnx ${VERSION.replace(/\./g, '\\.')}`));
  const server = fs.readFileSync(path.join(configDir, 'joblet-config.yml'), 'utf8');
  assert.match(server, new RegExp(`address: "127.0.0.1:${port}"`));
  assert.match(server, new RegExp(`instance: "${INSTANCE}"`));
  assert.match(server, new RegExp(`stateDir: "${stateDir}"`));
  assert.ok(fs.existsSync(path.join(configDir, 'rnx-config.yml')));
  assert.not.ok(fs.existsSync(PIDFILE), '--no-start started nothing');
  // The admin's own settings for this shared host: network blocks no other daemon here uses.
  const cidrs = testNetworkCidrs();
  fs.writeFileSync(
    path.join(configDir, 'joblet-config.yml'),
    server.replace(/^  bridgeCidr: .*$/m, `  bridgeCidr: "${cidrs.bridge}"`).replace(/^  isolatedCidr: .*$/m, `  isolatedCidr: "${cidrs.isolated}"`),
  );
});

it('run again, install.sh keeps the configs and starts the daemon, which serves a job through the installed rnx', async () => {
  const certs = fs.readFileSync(path.join(configDir, 'rnx-config.yml'));
  const r = await exec(path.join(unpacked, 'install.sh'), opts, { timeoutMs: 300_000 });
  assert.is(r.code, 0, `install.sh failed:\n${show(r)}\nlog:\n${fs.existsSync('/var/log/joblet.log') ? fs.readFileSync('/var/log/joblet.log', 'utf8').slice(-3000) : ''}`);
  assert.match(r.stdout, /keeping .*certificates/);
  assert.match(r.stdout, /the daemon runs \(pid \d+/);
  assert.match(r.stdout, /daemon is answering/);
  assert.ok(fs.readFileSync(path.join(configDir, 'rnx-config.yml')).equals(certs), 'the client config (and CA) is unchanged');
  const pid = Number(fs.readFileSync(PIDFILE, 'utf8'));
  assert.ok(isDaemon(pid), `pid ${pid} is the daemon`);
  assert.match(r.stdout, new RegExp(`daemon +pid ${pid} \\(in ${PIDFILE}\\)`));
  const job = await exec(path.join(prefix, 'bin/rnx'), ['--config', path.join(configDir, 'rnx-config.yml'), 'run', '--wait', 'echo', 'hello from the tarball'], { timeoutMs: 120_000 });
  assert.is(job.code, 0, show(job));
  assert.is(job.stdout, 'hello from the tarball\n');
  assert.ok((await runtimeLeftovers()).length > 0, 'the daemon made its cgroups, bridge and nft table (so the checks below cannot pass vacuously)');

  // A third run restarts the daemon it started, on the same configs.
  const again = await exec(path.join(unpacked, 'install.sh'), opts, { timeoutMs: 300_000 });
  assert.is(again.code, 0, `install.sh (again) failed:\n${show(again)}`);
  assert.match(again.stdout, new RegExp(`restarting the daemon \\(pid ${pid}\\)`));
  const newPid = Number(fs.readFileSync(PIDFILE, 'utf8'));
  assert.is.not(newPid, pid);
  assert.not.ok(isDaemon(pid), 'the old daemon is gone');
  assert.ok(isDaemon(newPid), 'the new daemon runs');
});

it('--uninstall stops the daemon and removes what it made, keeping state and config; --purge deletes them', async () => {
  const pid = Number(fs.readFileSync(PIDFILE, 'utf8'));
  // A job still running when the install goes: the daemon's shutdown must stop it too.
  const running = await exec(path.join(prefix, 'bin/rnx'), ['--config', path.join(configDir, 'rnx-config.yml'), 'run', 'sleep', '600']);
  assert.is(running.code, 0, show(running));
  const u = await exec(path.join(unpacked, 'install.sh'), ['--uninstall', ...opts], { timeoutMs: 120_000 });
  assert.is(u.code, 0, `install.sh --uninstall failed:\n${show(u)}`);
  assert.match(u.stdout, /stopping the daemon/);
  assert.not.ok(isDaemon(pid), 'the daemon is stopped');
  assert.not.ok(fs.existsSync(PIDFILE), 'its pid file is gone');
  assert.equal(await runtimeLeftovers(), [], 'no cgroup, bridge or nft table of the instance is left');
  for (const p of [path.join(prefix, 'bin/joblet'), path.join(prefix, 'bin/rnx'), '/etc/joblet/rnx-config.yml']) {
    assert.is(fs.lstatSync(p, { throwIfNoEntry: false }), undefined, `${p} is gone`);
  }
  assert.ok(fs.existsSync(path.join(configDir, 'joblet-config.yml')) && fs.existsSync(stateDir), 'state and config are kept without --purge');
  assert.match(u.stdout, /kept .* --purge deletes them/);

  const p = await exec(path.join(unpacked, 'install.sh'), ['--uninstall', '--purge', ...opts], { timeoutMs: 120_000 });
  assert.is(p.code, 0, `install.sh --uninstall --purge failed:\n${show(p)}`);
  for (const f of [configDir, stateDir]) assert.is(fs.lstatSync(f, { throwIfNoEntry: false }), undefined, `${f} is gone`);
});

test.run();
