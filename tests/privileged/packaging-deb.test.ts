/**
 * The .deb as an operator meets it, on this host (no systemd here, as in a container): `dpkg -i`
 * puts joblet and rnx on the PATH and configures certificates; the postinst says how to start the
 * daemon and does not fail; started that way, the daemon serves a job through the installed rnx;
 * an upgrade to a rebuilt .deb with a higher version keeps a job's record, the certificates and a
 * volume (with its data) and restarts the daemon; `dpkg --purge` leaves no process, file, cgroup,
 * bridge, nft table, loop device or mount behind. lintian checks the same .deb meanwhile (it takes
 * about a minute of CPU, so it runs beside the install tests, at low priority): no error or
 * warning beyond packaging/deb/lintian-overrides, each override with its reason and still used.
 *
 * The host is shared with other joblet daemons: the package is installed with its own instance
 * name (debconf preseed), listen port and network blocks, and the purge's sweep touches only that
 * instance. A host lock keeps two runs of this file apart; the package is purged in test.after
 * whatever happened.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { exec, freePort, ROOT, testNetworkCidrs, type RunResult } from '../helpers/daemon';
import { buildPackage, dpkg, hostPackageLock } from '../helpers/packages';
import { requireRoot } from './security/helpers';

const it = requireRoot() ? test : test.skip;
const VERSION = (JSON.parse(fs.readFileSync(path.join(__dirname, '../../package.json'), 'utf8')) as { version: string }).version;
/** The upgrade: same executable, a higher Debian version. */
const UPGRADE_VERSION = `${VERSION}+pkgtest1`;
const INSTANCE = `pk${process.pid.toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`.slice(0, 12);
const CONFIG_DIR = '/opt/joblet/config';
const STATE_DIR = '/opt/joblet';
const PIDFILE = '/run/joblet.pid';
const LOGFILE = '/var/log/joblet.log';
const EXE = '/usr/lib/joblet/joblet';
const CACHE_DIR = '/var/cache/joblet';

let debs: { v1: string; v2: string } | undefined;
/** lintian's run on the .deb, started in test.before and judged by the last test. */
let lintianRun: Promise<RunResult | Error> | undefined;
let release: (() => void) | undefined;
let installed = false;
/** A directory with nothing in it, as HOME and cwd of rnx: it must find the installed config itself. */
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'joblet-pkgtest-home-'));
let jobId = '';
let daemonPid = 0;
let configHashes: Record<string, string> = {};
let installedFiles: string[] = [];

/** The installed rnx from the PATH, as a user on this host runs it. */
function rnx(args: string[], timeoutMs = 120_000): Promise<RunResult> {
  return exec('rnx', args, { cwd: home, env: { HOME: home, RNX_CONFIG: '', PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' }, timeoutMs });
}

async function ok(cmd: string, args: string[], opts: { input?: string } = {}): Promise<string> {
  const r = await exec(cmd, args, { ...opts, timeoutMs: 300_000 });
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.code}):\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

function show(r: RunResult): string {
  return `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
}

function daemonPidFromFile(): number {
  return Number(fs.readFileSync(PIDFILE, 'utf8').trim());
}

/** Pids of every process running the installed executable. */
function processesOfPackage(): number[] {
  return fs
    .readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return fs.readlinkSync(`/proc/${p}/exe`).startsWith('/usr/lib/joblet/') || fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').startsWith(EXE);
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** Pids of joblet executables that are not the package's (other installs, test daemons, their jobs). */
function otherJobletProcesses(): number[] {
  return fs
    .readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        const exe = fs.readlinkSync(`/proc/${p}/exe`);
        return /\/joblet( \(deleted\))?$/.test(exe) && !exe.startsWith('/usr/lib/joblet/');
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** This instance's cgroup directories (`<own>/<instance>` and `<own>/<instance>-daemon`), in every hierarchy. */
async function instanceCgroups(): Promise<string[]> {
  const out = await ok('find', ['/sys/fs/cgroup', '-maxdepth', '8', '-type', 'd', '(', '-name', INSTANCE, '-o', '-name', `${INSTANCE}-daemon`, ')']);
  return out.split('\n').filter(Boolean);
}

/** Interfaces this instance made (they carry the alias joblet/<instance>/...). */
async function instanceLinks(): Promise<string[]> {
  const out = await ok('ip', ['-o', 'link', 'show']);
  return out.split('\n').filter((l) => l.includes(`alias joblet/${INSTANCE}/`));
}

async function nftTableExists(): Promise<boolean> {
  return (await exec('nft', ['list', 'table', 'inet', `joblet_${INSTANCE}`])).code === 0;
}

/** Loop devices whose backing file is under the package's state dir. */
async function loopsOfState(): Promise<string[]> {
  const out = await ok('losetup', ['--list', '--noheadings', '--output', 'NAME,BACK-FILE']);
  return out.split('\n').filter((l) => l.includes(`${STATE_DIR}/`));
}

function mountsOfState(): string[] {
  return fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((m) => m === STATE_DIR || m.startsWith(`${STATE_DIR}/`));
}

const t0 = performance.now();
/** A line in the test's output with the time since the file started (CI time matters). */
function mark(what: string): void {
  console.log(`  [${((performance.now() - t0) / 1000).toFixed(1)} s] ${what}`);
}

/** Does the path exist (a dangling symlink counts)? */
function present(f: string): boolean {
  return fs.lstatSync(f, { throwIfNoEntry: false }) !== undefined;
}

/** What the test uses of scripts/package/lintian.mjs (plain JavaScript, so typed here). */
interface LintianModule {
  lintianArgs(deb: string): string[];
  judgeLintian(output: string): { problems: string[]; overridden: string[] };
  documentedOverrides(): { line: string; tag: string; reason: string }[];
}

function sha256(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

test.before(async () => {
  if (process.getuid?.() !== 0) return;
  try {
    // Both builds at once: most of their time is compression and I/O, not this process.
    const [v1, v2] = await Promise.all([buildPackage('deb', VERSION), buildPackage('deb', UPGRADE_VERSION)]);
    debs = { v1, v2 };
    const { lintianArgs } = (await import(path.join(ROOT, 'scripts', 'package', 'lintian.mjs'))) as LintianModule;
    lintianRun = exec('nice', ['-n', '10', 'lintian', ...lintianArgs(v1)], { timeoutMs: 900_000 }).catch((err: Error) => err);
    release = await hostPackageLock();
    mark('packages built, host lock taken');
    const state = await exec('dpkg-query', ['-W', '-f', '${Status}', 'joblet']);
    if (state.code === 0 && !/not-installed|config-files/.test(state.stdout)) {
      throw new Error(`a joblet package is already installed on this host (${state.stdout}); the test will not touch it. Remove it first: dpkg --purge joblet`);
    }
    if (fs.existsSync(STATE_DIR)) throw new Error(`${STATE_DIR} exists without the package; the test will not touch it (move it away first)`);
  } catch (err) {
    process.stderr.write(`packaging-deb: set-up failed: ${err instanceof Error ? err.message : String(err)}\n`);
    throw err;
  }
});

test.after(async () => {
  try {
    if (installed) {
      const r = await dpkg(['--purge', 'joblet']);
      if (r.code !== 0) process.stderr.write(`packaging-deb: clean-up: dpkg --purge joblet failed:\n${show(r)}\n`);
    }
    // Preseeded answers of a run that never installed: dpkg --purge forgets them otherwise.
    await exec('debconf-communicate', ['joblet'], { input: 'PURGE\n' });
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
    release?.();
  }
});

it('dpkg -i puts joblet and rnx on the PATH, makes certificates and says how to start the daemon without systemd', async () => {
  assert.ok(debs, 'the .deb was built');
  const port = await freePort();
  // debconf answers, as an operator preseeds an unattended install: our own port and instance.
  await ok('debconf-set-selections', [], {
    input: `joblet joblet/address string 127.0.0.1:${port}\njoblet joblet/instance string ${INSTANCE}\njoblet joblet/extra-sans string pkgtest.invalid\n`,
  });
  const t0 = performance.now();
  installed = true;
  const r = await dpkg(['-i', debs!.v1]);
  mark('dpkg -i');
  assert.is(r.code, 0, `dpkg -i failed:\n${show(r)}`);
  // After db_stop debconf sends the maintainer scripts' stdout to stderr: read both, as a terminal shows them.
  const said = r.stdout + r.stderr;
  assert.match(said, /systemd is not running here/);
  assert.match(said, /\/usr\/lib\/joblet\/joblet-maint start/);
  assert.match(said, new RegExp(`admin client config is ${CONFIG_DIR}/rnx-config.yml`));
  assert.match(said, /server certificate names: .*pkgtest\.invalid/);

  for (const cmd of ['joblet', 'rnx']) {
    const w = await exec('sh', ['-c', `command -v ${cmd}`]);
    assert.is(w.stdout.trim(), `/usr/bin/${cmd}`);
  }
  const v = await rnx(['--version']);
  assert.is(v.code, 0, show(v));
  assert.match(v.stdout, new RegExp(VERSION.replace(/\./g, '\\.')));

  const server = fs.readFileSync(`${CONFIG_DIR}/joblet-config.yml`, 'utf8');
  assert.match(server, new RegExp(`address: "127.0.0.1:${port}"`));
  assert.match(server, new RegExp(`instance: "${INSTANCE}"`));
  assert.is(fs.statSync(`${CONFIG_DIR}/joblet-config.yml`).mode & 0o077, 0, 'the server config (with its key) is private');
  // The admin's own settings for this shared host: blocks for the built-in networks that no other daemon here uses.
  const cidrs = testNetworkCidrs();
  fs.writeFileSync(
    `${CONFIG_DIR}/joblet-config.yml`,
    server.replace(/^  bridgeCidr: .*$/m, `  bridgeCidr: "${cidrs.bridge}"`).replace(/^  isolatedCidr: .*$/m, `  isolatedCidr: "${cidrs.isolated}"`),
  );

  // Started as the postinst says.
  const start = await exec('/usr/lib/joblet/joblet-maint', ['start'], { timeoutMs: 120_000 });
  mark('joblet-maint start');
  assert.is(start.code, 0, `joblet-maint start failed:\n${show(start)}\nlog:\n${fs.existsSync(LOGFILE) ? fs.readFileSync(LOGFILE, 'utf8') : ''}`);
  daemonPid = daemonPidFromFile();
  assert.ok(processesOfPackage().includes(daemonPid), `the daemon (pid ${daemonPid}) runs the installed executable`);

  const job = await rnx(['run', '--wait', 'echo', 'hello from the package']);
  mark('first job');
  assert.is(job.code, 0, show(job));
  assert.is(job.stdout, 'hello from the package\n');
  console.log(`install-to-first-job: ${((performance.now() - t0) / 1000).toFixed(1)} s (dpkg -i, joblet-maint start, rnx run --wait echo)`);
});

it('an upgrade to a higher version keeps a job record, the certificates and a volume with its data, and restarts the daemon', async () => {
  assert.ok(daemonPid, 'the daemon was started');
  const vol = await rnx(['volume', 'create', 'pkgvol', '--size=16MB']);
  assert.is(vol.code, 0, show(vol));
  const write = await rnx(['run', '--json', '--volume=pkgvol', 'sh', '-c', 'echo kept across the upgrade > /volumes/pkgvol/note; echo written']);
  mark('volume job started');
  assert.is(write.code, 0, show(write));
  jobId = (JSON.parse(write.stdout) as { id: string }).id;
  assert.ok(jobId, `rnx run --json printed a job id: ${write.stdout}`);
  for (let i = 0; ; i++) {
    const s = await rnx(['status', '--json', jobId]);
    const status = (JSON.parse(s.stdout) as { status: string }).status;
    if (status === 'COMPLETED') break;
    assert.ok(i < 600 && !['FAILED', 'STOPPED'].includes(status), `job ${jobId} ended ${status}`);
    await new Promise((res) => setTimeout(res, 100));
  }
  // What the runtime state looks like, so that the purge's asserts below cannot pass vacuously.
  assert.ok((await instanceLinks()).length > 0, 'the daemon made its bridge');
  assert.ok(await nftTableExists(), 'the daemon made its nft table');
  assert.ok((await loopsOfState()).length > 0, 'the filesystem volume has a loop device');
  assert.ok(mountsOfState().length > 0, 'the volume is mounted under the state dir');
  assert.ok((await instanceCgroups()).length > 0, 'the daemon made its cgroups');
  configHashes = Object.fromEntries(fs.readdirSync(CONFIG_DIR).map((f) => [f, sha256(path.join(CONFIG_DIR, f))]));

  const r = await dpkg(['-i', debs!.v2]);
  mark('dpkg -i (upgrade)');
  assert.is(r.code, 0, `dpkg -i (upgrade) failed:\n${show(r)}`);
  assert.match(r.stdout + r.stderr, /keeping .*certificates/);
  assert.match(r.stdout + r.stderr, /restarting the daemon on the new version/);
  assert.is((await ok('dpkg-query', ['-W', '-f', '${Version}', 'joblet'])).trim(), UPGRADE_VERSION);

  const newPid = daemonPidFromFile();
  assert.is.not(newPid, daemonPid, 'the daemon was restarted');
  assert.ok(processesOfPackage().includes(newPid), 'the restarted daemon runs');
  assert.not.ok(processesOfPackage().includes(daemonPid), 'the old daemon is gone');
  daemonPid = newPid;
  assert.equal(Object.fromEntries(fs.readdirSync(CONFIG_DIR).map((f) => [f, sha256(path.join(CONFIG_DIR, f))])), configHashes, 'configs and certificates are unchanged');

  const status = await rnx(['status', '--json', jobId]);
  assert.is(status.code, 0, show(status));
  assert.is((JSON.parse(status.stdout) as { status: string }).status, 'COMPLETED');
  const log = await rnx(['log', jobId]);
  assert.is(log.code, 0, show(log));
  assert.match(log.stdout, /written/);
  const list = await rnx(['volume', 'list', '--json']);
  assert.ok((JSON.parse(list.stdout) as { name: string }[]).some((v) => v.name === 'pkgvol'), list.stdout);
  const read = await rnx(['run', '--wait', '--volume=pkgvol', 'cat', '/volumes/pkgvol/note']);
  mark('job read the volume');
  assert.is(read.code, 0, show(read));
  assert.is(read.stdout, 'kept across the upgrade\n');
});

it('dpkg --purge leaves no process, file, cgroup, bridge, nft table, loop device or mount', async () => {
  assert.ok(installed);
  installedFiles = (await ok('dpkg-query', ['-L', 'joblet'])).split('\n').filter((f) => f && present(f) && !fs.statSync(f, { throwIfNoEntry: false })?.isDirectory());
  assert.ok(installedFiles.includes(EXE), 'dpkg lists the executable');
  // A job still running when the package goes: the removal must stop it too.
  const running = await rnx(['run', 'sleep', '600']);
  assert.is(running.code, 0, show(running));

  const r = await dpkg(['--purge', 'joblet']);
  mark('dpkg --purge');
  assert.is(r.code, 0, `dpkg --purge failed:\n${show(r)}`);
  installed = false;
  assert.match(r.stdout + r.stderr, /stopping the daemon/);

  assert.equal(processesOfPackage(), [], 'no process of the package is left');
  const enabled = '/etc/systemd/system/multi-user.target.wants/joblet.service';
  for (const f of [...installedFiles, PIDFILE, LOGFILE, STATE_DIR, enabled]) assert.not.ok(present(f), `${f} is gone`);
  // The native-module cache is shared by every joblet executable on the host: it goes unless
  // another one (another developer's or test's daemon) runs, and then the purge says so.
  const others = otherJobletProcesses();
  if (present(CACHE_DIR)) {
    assert.ok(others.length > 0, `${CACHE_DIR} is gone when no other joblet runs`);
    assert.match(r.stdout + r.stderr, new RegExp(`kept ${CACHE_DIR}: other joblet processes`));
  } else {
    assert.not.match(r.stdout + r.stderr, /kept \/var\/cache\/joblet/);
  }
  assert.equal(await instanceCgroups(), [], 'no cgroup of the instance is left');
  assert.equal(await instanceLinks(), [], 'no bridge or veth of the instance is left');
  assert.not.ok(await nftTableExists(), 'the nft table is gone');
  assert.equal(await loopsOfState(), [], 'no loop device is left');
  assert.equal(mountsOfState(), [], 'no mount is left');
  const netns = fs.existsSync('/run/netns') ? fs.readdirSync('/run/netns').filter((n) => n.startsWith(`joblet_${INSTANCE}_`)) : [];
  assert.equal(netns, [], 'no job network namespace is left');
  const selections = await exec('debconf-show', ['joblet']);
  assert.is(selections.stdout.trim(), '', 'debconf forgot the answers');
});

it('lintian: no error or warning beyond the documented overrides, and every override is still needed', async () => {
  assert.ok(lintianRun, 'lintian was started');
  const r = await lintianRun!;
  mark('lintian');
  if (r instanceof Error) throw r;
  assert.is(r.code, 0, `lintian could not check the package:\n${show(r)}`);
  const { judgeLintian, documentedOverrides } = (await import(path.join(ROOT, 'scripts', 'package', 'lintian.mjs'))) as LintianModule;
  const { problems, overridden } = judgeLintian(r.stdout);
  assert.equal(problems, [], `lintian found problems (fix them, or override with a reason in packaging/deb/lintian-overrides):\n${problems.join('\n')}`);
  // Every override says why (documentedOverrides throws otherwise) and matched a tag in this run.
  const overrides = documentedOverrides();
  assert.ok(overrides.length > 0);
  for (const o of overrides) {
    assert.ok(o.reason.length > 20, `${o.line}: its reason is a sentence`);
    assert.ok(overridden.some((l) => l.includes(`: ${o.tag}`)), `${o.line} matched nothing in this run: drop it`);
  }
  // And nothing was overridden that the file does not list (the package installs the file itself).
  for (const l of overridden) assert.ok(overrides.some((o) => l.includes(`: ${o.tag}`)), `${l} is overridden by a file other than packaging/deb/lintian-overrides`);
});

test.run();
