/**
 * The file system, attacked from inside a job: host files, the daemon's keys, config and state,
 * other jobs' files, writes to read-only mounts, chroot escapes, mounting, device nodes, and
 * symlinks that point outside the sandbox.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TestDaemon, expectOutcomes, probe, requireRoot, runWait, setConfig, waitRunning } from './helpers';

const it = requireRoot() ? test : test.skip;

let d: TestDaemon;
const secret = `joblet-secret-${crypto.randomBytes(8).toString('hex')}`;
/** `text` as a grep pattern that does not match itself (the job's own command line holds it). */
const notSelf = (text: string) => `${text.slice(0, 6)}[${text[6]}]${text.slice(7)}`;
const secretPattern = notSelf(secret);
const markers = [`/tmp/${secret}`, `/var/tmp/${secret}`];

/** Files under `/` (except /usr, /proc and /sys: the host's read-only /usr is 5 GB) that contain one of `patterns`. */
function grepVisible(patterns: string[]): string {
  const e = patterns.map((p) => `-e '${p}'`).join(' ');
  return `find / \\( -path /usr -o -path /proc -o -path /sys \\) -prune -o -type f -print0 | xargs -0 -r grep -lsI ${e} || true`;
}

test.before(async () => {
  if (process.getuid?.() !== 0) return;
  d = await TestDaemon.start({ configEdit: setConfig('stopGraceSeconds', 1) });
  for (const m of markers) fs.writeFileSync(m, `${secret}\n`);
});
test.after(async () => {
  for (const m of markers) fs.rmSync(m, { force: true });
  await d?.destroy();
});

it("host files, the daemon's state, config and home dirs are not in the job's file system", async () => {
  const hostPaths = [...markers, d.dir, d.stateDir, d.configDir, d.serverConfig, '/root', '/home', '/opt', '/var', '/srv', '/boot', '/mnt', '/run', '/etc/shadow', '/etc/ssh', '/etc/machine-id', path.resolve(__dirname, '../../..')];
  const got = await probe(d, ['host_paths', 'etc_shadow'], hostPaths.map((p) => `hostpath=${p}`));
  expectOutcomes(got, { host_paths: hostPaths.map((p) => `${p}=absent`).join(' '), etc_shadow: 'absent' });
  const r = await runWait(d, ['sh', '-c', grepVisible([secretPattern])]);
  assert.is(r.stdout, '', `host files readable in the job: ${r.stdout}`);
});

it("the daemon's private keys and paths appear nowhere in the job; only /usr and the CA bundle come from the host disk", async () => {
  const config = fs.readFileSync(d.serverConfig, 'utf8');
  // A line of base64 from the middle of the server's private key: unique to this daemon.
  const keyLine = /serverKey: \|\n(?:.*\n){2}\s*(\S{40,})/.exec(config)?.[1];
  assert.ok(keyLine, 'found a line of the server key in the config');
  const r = await runWait(d, ['sh', '-c', `${grepVisible(['PRIVATE KE[Y]', keyLine!.slice(0, 30)])}; grep -c '${notSelf(d.dir)}' /proc/self/mountinfo /proc/self/environ /proc/1/cmdline; true`]);
  assert.is(r.stdout, '/proc/self/mountinfo:0\n/proc/self/environ:0\n/proc/1/cmdline:0\n', `key material or daemon paths visible:\n${r.stdout}`);
  // Every mount backed by a block device (the host's disks) and where it appears in the job.
  const m = await runWait(d, ['sh', '-c', "awk '{ split($0, p, \" - \"); split(p[2], f, \" \"); if (f[2] ~ /^\\/dev\\//) print $5 }' /proc/self/mountinfo"]);
  assert.equal(m.stdout.split('\n').filter(Boolean).sort(), ['/etc/ssl/certs/ca-certificates.crt', '/usr']);
});

it("another job's /work, /tmp and /dev/shm are invisible to a job running at the same time", async () => {
  const a = await d.run(['sh', '-c', `echo ${secret} > /work/a; echo ${secret} > /tmp/a; echo ${secret} > /dev/shm/a; trap 'exit 0' TERM; sleep 60 & wait`]);
  try {
    await waitRunning(d, a);
    assert.ok(fs.readFileSync(path.join(d.stateDir, 'run', a, 'work', 'a'), 'utf8').includes(secret), "job A's file is on the host");
    const got = await probe(d, ['host_paths'], [`hostpath=${path.join(d.stateDir, 'run', a)}`]);
    expectOutcomes(got, { host_paths: `${path.join(d.stateDir, 'run', a)}=absent` });
    const r = await runWait(d, ['sh', '-c', `${grepVisible([secretPattern])}; ls -A /work /tmp /dev/shm`]);
    assert.is(r.stdout, '/dev/shm:\n\n/tmp:\n\n/work:\n', `job B sees job A's files:\n${r.stdout}`);
  } finally {
    await d.rnx(['stop', a]);
  }
});

it('read-only mounts: /usr, /, /etc and /dev are EROFS, /etc/passwd is EACCES; /tmp and /work are writable', async () => {
  const got = await probe(d, ['write_usr', 'write_root', 'write_etc', 'write_etc_passwd', 'write_dev', 'write_tmp', 'write_work', 'remount_usr']);
  expectOutcomes(got, { write_usr: 'EROFS', write_root: 'EROFS', write_etc: 'EROFS', write_etc_passwd: 'EACCES', write_dev: 'EROFS', write_tmp: 'ok', write_work: 'ok', remount_usr: 'EPERM' });
  assert.not.ok(fs.existsSync('/usr/joblet-probe'), 'a file appeared in the host /usr');
});

it('chroot is EPERM (no CAP_SYS_CHROOT), so the classic fd/.. escape never starts; chroot(8) says so', async () => {
  expectOutcomes(await probe(d, ['chroot']), { chroot: 'EPERM' });
  const r = await runWait(d, ['chroot', '/tmp', '/bin/true']);
  assert.is(r.code, 125);
  assert.is(r.stderr, "chroot: cannot change root directory to '/tmp': Operation not permitted\n");
});

it('mounting anything (tmpfs, proc, a bind of /, the new mount API) and pivot_root are EPERM', async () => {
  const got = await probe(d, ['mount_tmpfs', 'mount_proc', 'bind_root', 'umount', 'pivot_root', 'fsopen', 'open_tree']);
  expectOutcomes(got, { mount_tmpfs: 'EPERM', mount_proc: 'EPERM', bind_root: 'EPERM', umount: 'EPERM', pivot_root: 'EPERM', fsopen: 'EPERM', open_tree: 'EPERM' });
});

it('device nodes: mknod is EPERM; /dev holds only null, zero, full, random, urandom, tty, pts, ptmx, shm and the fd links', async () => {
  const got = await probe(d, ['mknod_chr', 'mknod_blk', 'dev_list']);
  expectOutcomes(got, { mknod_chr: 'EPERM', mknod_blk: 'EPERM', dev_list: 'fd full null ptmx pts random shm stderr stdin stdout tty urandom zero' });
  const r = await runWait(d, ['mknod', '/work/sda', 'b', '8', '0']);
  assert.is(r.code, 1);
  assert.is(r.stderr, 'mknod: /work/sda: Operation not permitted\n');
});

it('symlinks to host paths resolve inside the sandbox; /proc/1/root is the sandbox root', async () => {
  const hostDir = d.stateDir;
  const r = await runWait(d, ['sh', '-c', `ln -s ${hostDir} /work/state && ln -s /etc/shadow /work/shadow && (ls /work/state/ 2>&1; cat /work/shadow 2>&1; readlink /proc/1/root; [ "$(ls -A /proc/1/root/)" = "$(ls -A /)" ] && echo same-root)`]);
  assert.is(r.stdout, `ls: cannot access '/work/state/': No such file or directory\ncat: /work/shadow: No such file or directory\n/\nsame-root\n`);
});

test.run();
