/**
 * The .rpm's scriptlets run by real rpm (Debian's rpm 4.18): installed, upgraded and erased with
 * `rpm --root` in a throwaway root, where rpm chroots to run %post, %preun and %postun with the
 * root's /bin/sh, as on an RPM system. (The spec has no %pre: nothing has to happen before the
 * files land.)
 *
 * The root: /usr is an overlay of the host's /usr (Debian's sh, sed, awk, ip, the libraries the
 * executable links) whose upper layer receives what rpm installs; /bin, /sbin, /lib and /lib64
 * mirror the host's; /etc holds copies of passwd, group, hosts, nsswitch.conf and the alternatives
 * links; /opt, /var and /run are the root's own, so nothing of the host's joblet state is touched.
 * Each rpm call runs in its own private mount namespace (`unshare --mount`) where the overlay, a
 * /proc and /dev are mounted: when rpm exits, the namespace and every mount in it are gone, even if
 * this test dies. It also gets its own network namespace, so the erase's sweep (links, nft table)
 * sees nothing of the host's; /sys is not mounted, so no cgroup of the host is seen either.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { exec, mountsUnder, type RunResult } from '../helpers/daemon';
import { buildPackage } from '../helpers/packages';
import { requireRoot } from './security/helpers';

const it = requireRoot() ? test : test.skip;
const VERSION = (JSON.parse(fs.readFileSync(path.join(__dirname, '../../package.json'), 'utf8')) as { version: string }).version;
/** The upgrade: same executable, a higher RPM version (rpm orders 0.1.0+pkgtest1 after 0.1.0). */
const UPGRADE_VERSION = `${VERSION}+pkgtest1`;
const INSTANCE = `rp${process.pid.toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`.slice(0, 12);
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'joblet-rpmroot-'));
const root = path.join(scratch, 'root');
const upper = path.join(scratch, 'usr-upper');
const work = path.join(scratch, 'usr-work');
const CONFIG = path.join(root, 'opt/joblet/config');

/** Mounts for one rpm call, inside its private mount namespace; then the command. */
const STEP = `set -e
root="$1" upper="$2" work="$3"; shift 3
mount -t overlay overlay -o "lowerdir=/usr,upperdir=$upper,workdir=$work" "$root/usr"
for d in bin sbin lib lib64; do
  # A host without merged /usr has real directories here: shown read-only.
  if [ -d "$root/$d" ] && [ ! -L "$root/$d" ]; then mount --bind "/$d" "$root/$d"; mount -o remount,bind,ro "$root/$d"; fi
done
mount -t proc proc "$root/proc"
mount --bind /dev "$root/dev"
exec "$@"`;

let rpms: { v1: string; v2: string } | undefined;
let configHashes: Record<string, string> = {};

/** `args` in a fresh mount and network namespace with the root's mounts. */
function inRoot(args: string[], env: Record<string, string> = {}): Promise<RunResult> {
  return exec('unshare', ['--mount', '--net', '--propagation', 'private', 'sh', '-c', STEP, 'sh', root, upper, work, ...args], { env, timeoutMs: 300_000 });
}

/** rpm with the throwaway root and its own database. */
function rpm(args: string[], env: Record<string, string> = {}): Promise<RunResult> {
  return inRoot(['rpm', '--root', root, '--dbpath', '/var/lib/rpm', ...args], env);
}

function show(r: RunResult): string {
  return `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;
}

function sha256(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** Mount points at or under the scratch directory, as this (the host's) namespace sees them. */
function scratchMounts(): string[] {
  return mountsUnder(scratch);
}

/** An overlayfs whiteout: a 0/0 character device in the upper layer that deletes the lower file. */
function isWhiteout(st: fs.Stats): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}

/** Every path under `dir`, relative to it. */
function walk(dir: string, rel = ''): string[] {
  return fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).flatMap((e) => {
    const r = path.join(rel, e.name);
    return e.isDirectory() ? [r, ...walk(dir, r)] : [r];
  });
}

/** The root: mirrors of the host's top-level /usr links, and its own /etc, /opt, /var, /run. */
function prepareRoot(): void {
  for (const d of ['usr', 'proc', 'dev', 'etc', 'opt', 'run', 'var/lib', 'var/log', 'var/cache', 'var/tmp', 'tmp', upper, work]) {
    fs.mkdirSync(path.isAbsolute(d) ? d : path.join(root, d), { recursive: true });
  }
  fs.chmodSync(path.join(root, 'tmp'), 0o1777);
  fs.chmodSync(path.join(root, 'var/tmp'), 0o1777);
  for (const d of ['bin', 'sbin', 'lib', 'lib64']) {
    const st = fs.lstatSync(`/${d}`, { throwIfNoEntry: false });
    if (st?.isSymbolicLink()) fs.symlinkSync(fs.readlinkSync(`/${d}`), path.join(root, d));
    else if (st?.isDirectory()) fs.mkdirSync(path.join(root, d));
  }
  for (const f of ['passwd', 'group', 'hosts', 'nsswitch.conf', 'host.conf']) {
    if (fs.existsSync(`/etc/${f}`)) fs.copyFileSync(`/etc/${f}`, path.join(root, 'etc', f));
  }
  // Debian reaches awk (and others) through /etc/alternatives.
  fs.cpSync('/etc/alternatives', path.join(root, 'etc/alternatives'), { recursive: true, verbatimSymlinks: true });
}

test.before(async () => {
  if (process.getuid?.() !== 0) return;
  try {
    const [v1, v2] = await Promise.all([buildPackage('rpm', VERSION), buildPackage('rpm', UPGRADE_VERSION)]);
    rpms = { v1, v2 };
    prepareRoot();
  } catch (err) {
    process.stderr.write(`packaging-rpm-root: set-up failed: ${err instanceof Error ? err.message : String(err)}\n`);
    throw err;
  }
});

test.after(() => {
  // The namespaces took their mounts with them; were one left (a kernel without mount namespaces
  // would have failed above), it is named here rather than deleted through.
  const left = scratchMounts();
  if (left.length) process.stderr.write(`packaging-rpm-root: mounts left under ${scratch}: ${left.join(' ')}; not deleting it\n`);
  else fs.rmSync(scratch, { recursive: true, force: true });
});

it('rpm -i runs %post: certificates and configs with the address, instance and names from the environment, the files in place', async () => {
  assert.ok(rpms, 'the .rpm files were built');
  const r = await rpm(['-i', '--nodeps', '--ignorearch', rpms!.v1], { JOBLET_ADDRESS: '127.0.0.1:50999', JOBLET_INSTANCE: INSTANCE, JOBLET_HOSTS: 'rpmtest.invalid, 192.0.2.77' });
  assert.is(r.code, 0, `rpm -i failed:\n${show(r)}`);
  const said = r.stdout + r.stderr;
  assert.match(said, /creating the CA, certificates and configs in \/opt\/joblet\/config/);
  assert.match(said, /server certificate names: .*rpmtest\.invalid, 192\.0\.2\.77/);
  assert.match(said, /systemd is not running here/);
  assert.match(said, /\/usr\/lib\/joblet\/joblet-maint start/);
  assert.match(said, /admin client config is \/opt\/joblet\/config\/rnx-config\.yml/);
  assert.not.match(said, /not found|warning/i);

  const server = fs.readFileSync(path.join(CONFIG, 'joblet-config.yml'), 'utf8');
  assert.match(server, /address: "127\.0\.0\.1:50999"/);
  assert.match(server, new RegExp(`instance: "${INSTANCE}"`));
  assert.match(server, /stateDir: "\/opt\/joblet"/);
  assert.match(server, /BEGIN CERTIFICATE/);
  assert.match(fs.readFileSync(path.join(CONFIG, 'rnx-config.yml'), 'utf8'), /BEGIN CERTIFICATE/);
  for (const f of ['joblet-config.yml', 'rnx-config.yml']) assert.is(fs.statSync(path.join(CONFIG, f)).mode & 0o077, 0, `${f} (with a private key) is private`);
  configHashes = Object.fromEntries(fs.readdirSync(CONFIG).map((f) => [f, sha256(path.join(CONFIG, f))]));

  const q = await rpm(['-q', 'joblet']);
  assert.is(q.stdout.trim(), `joblet-${VERSION}-1.x86_64`);
  const verify = await rpm(['-V', '--nodeps', 'joblet']);
  assert.is(verify.code, 0, `rpm -V: every installed file matches the package\n${show(verify)}`);
  // The installed client, in the root, reads the config %post made (no daemon runs: it says so).
  const v = await inRoot(['chroot', root, 'rnx', '--version']);
  assert.is(v.code, 0, show(v));
  assert.match(v.stdout, new RegExp(`rnx ${VERSION.replace(/\./g, '\\.')}`));
  const status = await inRoot(['chroot', root, '/usr/lib/joblet/joblet-maint', 'status']);
  assert.is(status.code, 3, show(status));
  assert.match(status.stdout, /joblet daemon not running/);
});

it('rpm -U to a higher version keeps the configs and certificates byte for byte and the state, without a new CA', async () => {
  assert.ok(Object.keys(configHashes).length, 'installed');
  // What a daemon would have left in its state dir (jobs, logs, volumes).
  fs.mkdirSync(path.join(root, 'opt/joblet/jobs'), { recursive: true });
  fs.writeFileSync(path.join(root, 'opt/joblet/jobs/marker'), 'kept across the upgrade\n');
  const r = await rpm(['-U', '--nodeps', '--ignorearch', rpms!.v2], { JOBLET_ADDRESS: '127.0.0.1:50998' });
  assert.is(r.code, 0, `rpm -U failed:\n${show(r)}`);
  const said = r.stdout + r.stderr;
  assert.match(said, /keeping \/opt\/joblet\/config\/joblet-config\.yml and \/opt\/joblet\/config\/rnx-config\.yml \(certificates/);
  assert.not.match(said, /creating the CA/);
  // Install-only steps stay quiet on an upgrade ($1 = 2 in %post).
  assert.not.match(said, /admin client config is|systemd is not running/);
  assert.equal(Object.fromEntries(fs.readdirSync(CONFIG).map((f) => [f, sha256(path.join(CONFIG, f))])), configHashes, 'configs and certificates unchanged');
  assert.is(fs.readFileSync(path.join(root, 'opt/joblet/jobs/marker'), 'utf8'), 'kept across the upgrade\n');
  const q = await rpm(['-q', 'joblet']);
  assert.is(q.stdout.trim(), `joblet-${UPGRADE_VERSION}-1.x86_64`, 'only the new version is installed');
  const verify = await rpm(['-V', '--nodeps', 'joblet']);
  assert.is(verify.code, 0, `rpm -V after the upgrade\n${show(verify)}`);
});

it('rpm -e runs %preun and %postun: every file of the package goes, state and config stay, and it says how to delete them', async () => {
  const r = await rpm(['-e', '--nodeps', 'joblet']);
  assert.is(r.code, 0, `rpm -e failed:\n${show(r)}`);
  const said = r.stdout + r.stderr;
  assert.match(said, /kept \/opt\/joblet and \/opt\/joblet\/config \(jobs, logs, volumes, certificates\); to delete them: rm -rf \/opt\/joblet \/opt\/joblet\/config \/var\/log\/joblet\.log/);
  assert.not.match(said, /not found|warning/i);
  const q = await rpm(['-q', 'joblet']);
  assert.is(q.code, 1, `rpm -q after erase: ${show(q)}`);
  assert.match(q.stdout, /package joblet is not installed/);
  // What rpm put under /usr is in the overlay's upper layer: no file is left there, nor any
  // directory this (Debian) host's /usr lacks other than those an RPM system already has from
  // other packages: /usr/share/licenses (filesystem) and zsh's site-functions (zsh).
  // A file the host's /usr also has (the .deb test may have installed joblet meanwhile) is
  // deleted by a whiteout in the upper layer: gone from the root, as on an RPM system.
  const left = walk(upper).filter((p) => {
    const st = fs.lstatSync(path.join(upper, p));
    if (isWhiteout(st)) return false;
    if (!st.isDirectory()) return true;
    return !fs.existsSync(path.join('/usr', p)) && !/^share\/(licenses|zsh|zsh\/site-functions)$/.test(p);
  });
  assert.equal(left, [], 'nothing of the package is left under /usr');
  for (const f of ['lib/joblet', 'share/doc/joblet', 'share/licenses/joblet']) {
    const st = fs.lstatSync(path.join(upper, f), { throwIfNoEntry: false });
    // Where the host has the directory too (joblet installed from the .deb), rpm rightly keeps
    // it for the host's files; nothing of the package's own may be left in it (checked above).
    const hostHasIt = fs.existsSync(path.join('/usr', f));
    assert.ok(!st || isWhiteout(st) || (hostHasIt && st.isDirectory()), `/usr/${f} is gone`);
  }
  assert.equal(Object.fromEntries(fs.readdirSync(CONFIG).map((f) => [f, sha256(path.join(CONFIG, f))])), configHashes, 'config and certificates kept (rpm has no purge)');
});

it('no mount of the throwaway root is left', () => {
  assert.equal(scratchMounts(), []);
});

test.run();
