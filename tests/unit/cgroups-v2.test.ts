/** cgroup v2 manager against a fake cgroupfs (tests/unit/cgroups-fakefs.ts). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createCgroupManager, detectCgroupLayout } from '../../src/sandbox/cgroups/detect';
import type { CgroupManager } from '../../src/sandbox/cgroups/manager';
import { JobletError } from '../../src/shared/errors';
import { fakeHost, killSleepers, sleeper, type FakeHost } from './cgroups-fakefs';

const OWN = '/system.slice/joblet.service';
const ALL = ['cpu', 'cpuset', 'io', 'memory', 'pids'];

function v2Host(controllers = ALL, ownPath = OWN): FakeHost {
  return fakeHost([{ name: 'unified', version: 2, controllers, ownPath }]);
}

function manager(host: FakeHost, instance = 'jt', extra: { killTimeoutMs?: number } = {}): CgroupManager {
  return createCgroupManager({
    instance,
    fs: host.fs,
    mountinfo: host.mountinfo,
    procSelfCgroup: host.procSelfCgroup,
    daemonPid: process.pid,
    ...extra,
  });
}

function read(p: string): string {
  return fs.readFileSync(p, 'utf8');
}

/** Throws unless fn throws a JobletError with the code whose message contains every part. */
function assertThrowsJoblet(fn: () => unknown, code: string, parts: string[]): void {
  try {
    fn();
  } catch (err) {
    assert.instance(err, JobletError);
    assert.is((err as JobletError).code, code, (err as Error).message);
    for (const p of parts) assert.ok((err as Error).message.includes(p), `"${(err as Error).message}" lacks "${p}"`);
    return;
  }
  assert.unreachable('expected a throw');
}

test.after.each(killSleepers);

function withHost(name: string, fn: (host: FakeHost) => void | Promise<void>, make = () => v2Host()): void {
  test(name, async () => {
    const host = make();
    try {
      await fn(host);
    } finally {
      host.cleanup();
    }
  });
}

withHost('detects v2 and places jobs at <own>/<instance>/job-<id>', (host) => {
  assert.is(detectCgroupLayout({ fs: host.fs, mountinfo: host.mountinfo, procSelfCgroup: host.procSelfCgroup }).kind, 'v2');
  const m = manager(host);
  assert.is(m.kind, 'v2');
  const job = m.create('a1');
  assert.equal(job.procsFiles, [path.join(host.own('unified'), 'jt', 'job-a1', 'cgroup.procs')]);
  assert.ok(fs.existsSync(path.join(host.root, 'unified/system.slice/joblet.service/jt/job-a1/cgroup.events')));
});

withHost('enables controllers in <own> then in <own>/<instance>, one per write', (host) => {
  manager(host);
  const own = host.own('unified');
  assert.equal(read(path.join(own, 'cgroup.subtree_control')).split(/\s+/).filter(Boolean).sort(), ALL);
  assert.equal(read(path.join(own, 'jt', 'cgroup.subtree_control')).split(/\s+/).filter(Boolean).sort(), ALL);
  const writes = host.fs.writes.filter(([p]) => p.endsWith('cgroup.subtree_control'));
  assert.equal(writes.map(([, d]) => d), ['+cpu', '+cpuset', '+io', '+memory', '+pids', '+cpu', '+cpuset', '+io', '+memory', '+pids']);
});

withHost('moves only the daemon into <instance>-daemon when <own> holds it, then enables controllers', (host) => {
  const own = host.own('unified');
  fs.writeFileSync(path.join(own, 'cgroup.procs'), `${process.pid}\n`);
  const m = manager(host);
  assert.is(read(path.join(own, 'jt-daemon', 'cgroup.procs')).trim(), String(process.pid));
  assert.is(read(path.join(own, 'cgroup.procs')).trim(), '');
  const job = m.create('j');
  job.setLimits({ memoryBytes: 1 << 26 });
  assert.is(read(path.join(own, 'jt/job-j/memory.max')), String(1 << 26));
  assert.equal(m.list(), ['j'], 'the daemon leaf is not a job');
});

withHost(
  'a daemon in the root cgroup stays there: the root may enable controllers with members',
  (host) => {
    fs.writeFileSync(path.join(host.root, 'unified', 'cgroup.procs'), `${process.pid}\n`);
    manager(host).create('r').setLimits({ pids: 3 });
    assert.not.ok(fs.existsSync(path.join(host.root, 'unified', 'jt-daemon')));
    assert.is(read(path.join(host.root, 'unified', 'jt', 'job-r', 'pids.max')), '3');
  },
  () => v2Host(ALL, '/'),
);

withHost('other processes in <own>: jobs still tracked, limits refused with the reason', async (host) => {
  const own = host.own('unified');
  fs.writeFileSync(path.join(own, 'cgroup.procs'), `${process.pid}\n${process.ppid}\n`);
  const m = manager(host);
  const job = m.create('j');
  assertThrowsJoblet(() => job.setLimits({ memoryBytes: 1 << 26 }), 'FAILED_PRECONDITION', [
    'memory limit',
    `cgroup ${own} has processes`,
    'Delegate=yes',
  ]);
  assertThrowsJoblet(() => job.setLimits({ pids: 10 }), 'FAILED_PRECONDITION', ['process count limit', 'pids']);
  const s = sleeper();
  host.fs.write(job.procsFiles[0], String(s.pid));
  assert.equal(job.pids(), [s.pid]);
  await job.killAll();
  assert.is(await s.exited, 'SIGKILL');
});

withHost('limits are written with the exact file contents', (host) => {
  const job = manager(host).create('lim');
  const dir = path.join(host.own('unified'), 'jt', 'job-lim');
  job.setLimits({ cpuPercent: 150, cpuCores: '0-1', memoryBytes: 67108864, ioBps: { bps: 1048576, devices: ['8:0', '259:1'] }, pids: 50 });
  assert.is(read(path.join(dir, 'cpu.max')), '150000 100000');
  assert.is(read(path.join(dir, 'cpuset.cpus')), '0-1');
  assert.is(read(path.join(dir, 'memory.max')), '67108864');
  assert.is(read(path.join(dir, 'memory.swap.max')), '0');
  assert.is(read(path.join(dir, 'pids.max')), '50');
  const io = host.fs.writes.filter(([p]) => p.endsWith('io.max')).map(([, d]) => d);
  assert.equal(io, ['8:0 rbps=1048576 wbps=1048576', '259:1 rbps=1048576 wbps=1048576']);
});

withHost('no swap accounting: memory.max alone', (host) => {
  const job = manager(host).create('ns');
  const dir = path.join(host.own('unified'), 'jt', 'job-ns');
  fs.rmSync(path.join(dir, 'memory.swap.max'));
  job.setLimits({ memoryBytes: 1 << 30 });
  assert.is(read(path.join(dir, 'memory.max')), String(1 << 30));
});

withHost(
  'a controller the host does not offer makes setLimits name the limit',
  (host) => {
    const job = manager(host).create('mc');
    assertThrowsJoblet(() => job.setLimits({ cpuPercent: 50 }), 'FAILED_PRECONDITION', ['CPU limit', "'cpu' controller"]);
    assertThrowsJoblet(() => job.setLimits({ ioBps: { bps: 1000, devices: ['8:0'] } }), 'FAILED_PRECONDITION', ['IO bandwidth limit', "'io'"]);
    job.setLimits({ memoryBytes: 1 << 26, pids: 5 });
  },
  () => v2Host(['memory', 'pids']),
);

withHost('a write the kernel refuses becomes FAILED_PRECONDITION naming limit and file', (host) => {
  const job = manager(host).create('rf');
  const file = path.join(host.own('unified'), 'jt', 'job-rf', 'pids.max');
  fs.rmSync(file);
  fs.mkdirSync(file); // writing a directory fails with EISDIR
  assertThrowsJoblet(() => job.setLimits({ pids: 7 }), 'FAILED_PRECONDITION', ['process count limit', 'pids=7', file, 'EISDIR']);
});

withHost('nonsense limits are INVALID_ARGUMENT before anything is written', (host) => {
  const job = manager(host).create('bad');
  const before = host.fs.writes.length;
  assertThrowsJoblet(() => job.setLimits({ pids: 5, cpuPercent: 0.5 }), 'INVALID_ARGUMENT', ['CPU limit']);
  assertThrowsJoblet(() => job.setLimits({ cpuCores: '0;1' }), 'INVALID_ARGUMENT', ['CPU cores']);
  assertThrowsJoblet(() => job.setLimits({ ioBps: { bps: 10, devices: ['sda'] } }), 'INVALID_ARGUMENT', ['"sda"']);
  assertThrowsJoblet(() => job.setLimits({ memoryBytes: -1 }), 'INVALID_ARGUMENT', ['memory limit']);
  assert.is(host.fs.writes.length, before);
});

withHost('stats are parsed from cpu.stat, memory.peak/current/events and pids.current', (host) => {
  const job = manager(host).create('st');
  const dir = path.join(host.own('unified'), 'jt', 'job-st');
  host.fs.set(path.join(dir, 'cpu.stat'), 'usage_usec 12345\nuser_usec 10000\nsystem_usec 2345\n');
  host.fs.set(path.join(dir, 'memory.peak'), '33554432\n');
  host.fs.set(path.join(dir, 'memory.current'), '4096\n');
  host.fs.set(path.join(dir, 'memory.events'), 'low 0\nhigh 0\nmax 9\noom 3\noom_kill 2\noom_group_kill 0\n');
  host.fs.set(path.join(dir, 'pids.current'), '3\n');
  assert.equal(job.stats(), { cpuUsageUsec: 12345, memoryPeakBytes: 33554432, memoryCurrentBytes: 4096, oomKills: 2, pidsCurrent: 3 });
  fs.rmSync(path.join(dir, 'memory.peak'));
  assert.is(job.stats().memoryPeakBytes, undefined, 'kernels before 5.19 have no memory.peak');
});

withHost('stats add memory.max, io.stat bytes, CFS throttling and PSI', (host) => {
  const job = manager(host).create('ex');
  const dir = path.join(host.own('unified'), 'jt', 'job-ex');
  assert.is(job.stats().memoryLimitBytes, undefined, '"max" is no limit');
  job.setLimits({ memoryBytes: 128 << 20 });
  host.fs.set(path.join(dir, 'io.stat'), '8:0 rbytes=1000 wbytes=2000 rios=1 wios=2 dbytes=0 dios=0\n253:0 rbytes=24 wbytes=0 rios=1 wios=0 dbytes=0 dios=0\n');
  host.fs.set(path.join(dir, 'cpu.stat'), 'usage_usec 900\nuser_usec 800\nsystem_usec 100\nnr_periods 10\nnr_throttled 4\nthrottled_usec 250000\n');
  host.fs.set(path.join(dir, 'memory.pressure'), 'some avg10=2.00 avg60=0.00 avg300=0.00 total=1\nfull avg10=1.00 avg60=0.00 avg300=0.00 total=1\n');
  const s = job.stats();
  assert.is(s.memoryLimitBytes, 128 << 20);
  assert.is(s.ioReadBytes, 1024);
  assert.is(s.ioWriteBytes, 2000);
  assert.equal([s.cpuPeriods, s.cpuThrottledPeriods, s.cpuThrottledUsec], [10, 4, 250000]);
  // Only memory.pressure exists here: the other resources read as no stall.
  assert.equal(s.pressure, { cpuSome: 0, memorySome: 2, memoryFull: 1, ioSome: 0, ioFull: 0 });
});

withHost('two instances coexist; list/open/destroy/dispose', async (host) => {
  const a = manager(host, 'daemon-a');
  const b = manager(host, 'daemon-b');
  a.create('x1');
  a.create('x2');
  b.create('y1');
  assert.equal(a.list(), ['x1', 'x2']);
  assert.equal(b.list(), ['y1']);
  assert.is(a.open('y1'), undefined);
  const x1 = a.open('x1')!;
  assert.equal(x1.procsFiles, [path.join(host.own('unified'), 'daemon-a', 'job-x1', 'cgroup.procs')]);
  await x1.destroy();
  await x1.destroy();
  assert.not.ok(fs.existsSync(path.dirname(x1.procsFiles[0])));
  assert.equal(a.list(), ['x2']);
  assertThrowsJoblet(() => a.dispose(), 'FAILED_PRECONDITION', ['x2']);
  await a.open('x2')!.destroy();
  a.dispose();
  a.dispose();
  assert.not.ok(fs.existsSync(path.join(host.own('unified'), 'daemon-a')));
  assert.ok(fs.existsSync(path.join(host.own('unified'), 'daemon-b', 'job-y1')));
});

withHost('bad ids are refused; a leftover job cgroup is ALREADY_EXISTS', (host) => {
  const m = manager(host);
  assertThrowsJoblet(() => m.create('../../etc'), 'INVALID_ARGUMENT', ['job id']);
  assertThrowsJoblet(() => manager(host, 'a/b'), 'INVALID_ARGUMENT', ['instance']);
  m.create('dup');
  assertThrowsJoblet(() => m.create('dup'), 'ALREADY_EXISTS', ['job-dup']);
});

withHost('signalAll and killAll reach every member; killAll uses cgroup.kill', async (host) => {
  const job = manager(host).create('k');
  const [s1, s2] = [sleeper(), sleeper()];
  for (const s of [s1, s2]) host.fs.write(job.procsFiles[0], String(s.pid));
  assert.equal(job.pids(), [s1.pid, s2.pid].sort((x, y) => x - y));
  job.signalAll('SIGTERM');
  assert.is(await s1.exited, 'SIGTERM');
  const s3 = sleeper();
  host.fs.write(job.procsFiles[0], String(s3.pid));
  await job.killAll();
  assert.is(await s3.exited, 'SIGKILL');
  assert.ok(host.fs.writes.some(([p, d]) => p.endsWith('job-k/cgroup.kill') && d === '1'));
  assert.equal(job.pids(), []);
  await job.killAll(); // an empty cgroup is fine
});

withHost('killAll times out with a clear error when the cgroup does not empty', async (host) => {
  const job = manager(host, 'jt', { killTimeoutMs: 100 }).create('stuck');
  host.fs.ignoreKill = true;
  const s = sleeper();
  try {
    host.fs.write(job.procsFiles[0], String(s.pid));
    let err: unknown;
    await job.killAll().catch((e) => (err = e));
    assert.instance(err, JobletError);
    assert.match((err as Error).message, `still has processes [${s.pid}] 100 ms after cgroup.kill`);
  } finally {
    s.child.kill('SIGKILL');
    await s.exited;
  }
});

test('no cgroup mount under the root is FAILED_PRECONDITION', () => {
  const host = v2Host();
  try {
    assertThrowsJoblet(
      () => createCgroupManager({ instance: 'x', root: host.root, mountinfo: '22 1 8:1 / / rw - ext4 /dev/sda1 rw\n', procSelfCgroup: '0::/\n' }),
      'FAILED_PRECONDITION',
      ['no usable cgroup hierarchy', host.root],
    );
  } finally {
    host.cleanup();
  }
});

test.run();
