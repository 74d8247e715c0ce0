/**
 * What a job can see and touch: capabilities, processes, files, mounts, network, fds, env —
 * checked from inside the job and, where it matters, from the host.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PROC_MASKED, PROC_READONLY } from '../../../src/sandbox/procfs';
import { spawnSandboxed } from '../../../src/sandbox/spawn';
import { initCommand, JOB_UID, jobDirs, makeSpec, requireRoot, runJob, sh } from './helpers';

const it = requireRoot() ? test : test.skip;

const lines = (s: string): string[] => s.split('\n').filter(Boolean);

it('no capabilities in any set, no_new_privs set', async () => {
  const r = await sh('grep -E "^(Cap|NoNewPrivs)" /proc/self/status');
  assert.equal(lines(r.stdout), [
    'CapInh:\t0000000000000000',
    'CapPrm:\t0000000000000000',
    'CapEff:\t0000000000000000',
    'CapBnd:\t0000000000000000',
    'CapAmb:\t0000000000000000',
    'NoNewPrivs:\t1',
  ]);
});

it('ps shows only the job, and the command is PID 1', async () => {
  const r = await sh('ps -e -o pid=,comm=');
  const procs = lines(r.stdout).map((l) => l.trim().split(/\s+/));
  assert.equal(procs[0], ['1', 'sh']);
  assert.equal(procs.map((p) => p[1]), ['sh', 'ps']);
  const kill = await sh('kill -0 1 && echo self-ok; kill -TERM 2 2>/dev/null || echo no-pid-2');
  assert.is(kill.stdout, 'self-ok\nno-pid-2\n');
});

it('host files stay invisible: /etc is synthesized, host /tmp and state are not there', async () => {
  const marker = `/tmp/joblet-marker-${crypto.randomBytes(6).toString('hex')}`;
  fs.writeFileSync(marker, 'secret');
  try {
    const dirs = jobDirs();
    try {
      const script = `ls -A /etc; cat /etc/shadow; cat /etc/hostname; test -e ${marker} || echo marker-invisible; ls -A /tmp | wc -l; test -e ${dirs.base} || echo base-invisible`;
      const r = await runJob(makeSpec(dirs, 'sh', ['-c', script]));
      const out = lines(r.stdout);
      const etc = out.slice(0, out.indexOf('job-4b0f7f8e'));
      assert.ok(etc.includes('passwd') && etc.includes('hosts') && etc.includes('resolv.conf'), etc.join(' '));
      assert.not.ok(etc.includes('shadow') || etc.includes('joblet') || etc.includes('ssh'), etc.join(' '));
      assert.match(r.stderr, /cat: \/etc\/shadow: No such file or directory/);
      assert.equal(out.slice(etc.length), ['job-4b0f7f8e', 'marker-invisible', '0', 'base-invisible']);
    } finally {
      dirs.cleanup();
    }
  } finally {
    fs.rmSync(marker);
  }
});

it('synthesized /etc: passwd, group, hosts, resolv.conf', async () => {
  const r = await sh('cat /etc/passwd /etc/group /etc/hosts /etc/resolv.conf; getent hosts gateway.joblet');
  assert.is(
    r.stdout,
    `root:x:0:0:root:/root:/usr/sbin/nologin\njob:x:${JOB_UID}:64124:job:/work:/bin/sh\nroot:x:0:\njob:x:64124:\n` +
      '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\tjob-4b0f7f8e\n10.99.0.1\tgateway.joblet\n' +
      'nameserver 10.99.0.1\n10.99.0.1       gateway.joblet\n',
  );
});

it('read-only: /usr, the root, /proc/sys; writable: /tmp and /work (as the job user on the host)', async () => {
  const dirs = jobDirs();
  try {
    const script = [
      'exec 2>&1',
      'touch /usr/x',
      'mkdir /newdir',
      'echo 1 > /proc/sys/kernel/ns_last_pid',
      'echo > /etc/passwd',
      'touch /tmp/t /work/w && echo writable',
    ].join('; ');
    const r = await runJob(makeSpec(dirs, 'sh', ['-c', script]));
    const out = lines(r.stdout);
    assert.match(out[0] ?? '', /Read-only file system/);
    assert.match(out[1] ?? '', /Read-only file system/);
    assert.match(out[2] ?? '', /Read-only file system|Permission denied/);
    assert.match(out[3] ?? '', /Read-only file system/);
    assert.is(out[4], 'writable');
    assert.is(fs.statSync(path.join(dirs.workDirHost, 'w')).uid, JOB_UID);
  } finally {
    dirs.cleanup();
  }
});

it('mount flags: /proc/sys ro, sensitive /proc files masked, /tmp and /work nosuid,nodev', async () => {
  const r = await sh("awk '{print $5, $6}' /proc/self/mountinfo");
  const mounts = new Map(lines(r.stdout).map((l) => l.split(' ') as [string, string]));
  assert.match(mounts.get('/proc/sys') ?? '', /^ro,/);
  assert.match(mounts.get('/usr') ?? '', /^ro,nosuid,nodev/);
  assert.match(mounts.get('/') ?? '', /^ro,/);
  for (const p of ['/tmp', '/work']) assert.match(mounts.get(p) ?? '', /^rw,nosuid,nodev/, p);
  // Which of these exist depends on the kernel's config; every one that exists must be covered.
  for (const name of PROC_READONLY.filter((n) => fs.existsSync(`/proc/${n}`))) assert.match(mounts.get(`/proc/${name}`) ?? '', /^ro,/, name);
  const masked = PROC_MASKED.filter((n) => fs.existsSync(`/proc/${n}`));
  assert.ok(masked.includes('keys'), 'this host has /proc/keys, so the masking is really exercised');
  for (const name of masked) assert.ok(mounts.has(`/proc/${name}`), `/proc/${name} is masked`);
  const k = await sh('cat /proc/keys | wc -c; cat /proc/timer_list | wc -c');
  assert.is(k.stdout, '0\n0\n');
});

it('network: only loopback, and it is up', async () => {
  const r = await sh("ls /sys/class/net; tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '; cat /sys/class/net/lo/flags");
  const out = lines(r.stdout);
  assert.equal(out.slice(0, 2), ['lo', 'lo']);
  assert.ok((Number.parseInt(out[2] ?? '0', 16) & 1) === 1, `lo flags ${out[2]}`);
});

it('fds: only 0, 1, 2 reach the command', async () => {
  const dirs = jobDirs();
  try {
    const r = await runJob(makeSpec(dirs, 'ls', ['-l', '/proc/self/fd/']));
    const fds = lines(r.stdout).filter((l) => l.startsWith('l')).map((l) => l.replace(/^.* (\d+) -> (.*)$/, '$1 $2'));
    assert.is(fds.length, 4, fds.join('; '));
    assert.equal(fds.slice(0, 3).map((f) => f.split(' ')[0]), ['0', '1', '2']);
    assert.match(fds[3] ?? '', /^3 \/proc\/\d+\/fd$/, "the only other fd is ls's own directory");
  } finally {
    dirs.cleanup();
  }
});

it('hostname and environment are exactly the spec', async () => {
  const dirs = jobDirs();
  try {
    const spec = makeSpec(dirs, 'env');
    const r = await runJob(spec);
    assert.equal(lines(r.stdout).sort(), Object.entries(spec.env).map(([k, v]) => `${k}=${v}`).sort());
    const h = await runJob(makeSpec(dirs, 'hostname'));
    assert.is(h.stdout, 'job-4b0f7f8e\n');
  } finally {
    dirs.cleanup();
  }
});

it('devices: a minimal /dev, no mknod', async () => {
  const r = await sh('ls -A /dev | tr "\\n" " "; echo; echo x > /dev/null && head -c 4 /dev/urandom | wc -c; mknod /tmp/sda b 8 0 2>&1 || true');
  const out = lines(r.stdout);
  assert.is(out[0], 'fd full null ptmx pts random shm stderr stdin stdout tty urandom zero ');
  assert.is(out[1], '4');
  assert.match(out[2] ?? '', /Operation not permitted/);
});

/**
 * The host's mount table, less the workspaces and volumes of other daemons on this host (test
 * files run in parallel, each with a daemon under its own state directory): a change there is
 * theirs, anything else would be this sandbox's leak.
 */
function hostMounts(): string {
  return fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((l) => !/ \S*\/state\/(run|volumes)\/\S* /.test(l))
    .join('\n');
}

it('nothing mounts on the host; the root dir stays empty on the host while the job runs', async () => {
  const before = hostMounts();
  const dirs = jobDirs();
  try {
    const proc = spawnSandboxed(makeSpec(dirs, 'sleep', ['5']), initCommand());
    await proc.started;
    assert.equal(fs.readdirSync(dirs.rootDir), []);
    assert.is(hostMounts(), before);
    assert.not.ok(fs.readFileSync('/proc/self/mountinfo', 'utf8').includes(dirs.base), 'nothing of this job is mounted on the host');
    process.kill(proc.pid, 'SIGKILL');
    await proc.exited;
  } finally {
    dirs.cleanup();
  }
  assert.is(hostMounts(), before);
});

it('later children of the test process stay in the host PID namespace', async () => {
  const dirs = jobDirs();
  try {
    await runJob(makeSpec(dirs, 'true'));
  } finally {
    dirs.cleanup();
  }
  const { execFileSync } = await import('node:child_process');
  const mine = fs.readlinkSync('/proc/self/ns/pid');
  const childNs = execFileSync('readlink', ['/proc/self/ns/pid'], { encoding: 'utf8' }).trim();
  assert.is(childNs, mine);
  assert.is(fs.readlinkSync('/proc/self/ns/pid_for_children'), mine);
});

test.run();
