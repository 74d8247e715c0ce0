/** cgroup v1 and hybrid managers against a fake cgroupfs (tests/unit/cgroups-fakefs.ts). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createCgroupManager } from '../../src/sandbox/cgroups/detect';
import type { CgroupLimits, CgroupManager } from '../../src/sandbox/cgroups/manager';
import { JobletError } from '../../src/shared/errors';
import { fakeHost, killSleepers, sleeper, type FakeHost, type FakeMount } from './cgroups-fakefs';

const MEM_OWN = '/process_api/efde777e';

/** This machine's shape, but with cpu,cpuacct co-mounted and the memory cgroup not at "/". */
function v1Mounts(opts: { without?: string[]; unified?: boolean } = {}): FakeMount[] {
  const mounts: FakeMount[] = [
    { name: 'cpu,cpuacct', version: 1, controllers: ['cpu', 'cpuacct'], ownPath: '/' },
    { name: 'cpuset', version: 1, controllers: ['cpuset'], ownPath: '/' },
    { name: 'memory', version: 1, controllers: ['memory'], ownPath: MEM_OWN },
    { name: 'devices', version: 1, controllers: ['devices'], ownPath: '/' },
    { name: 'freezer', version: 1, controllers: ['freezer'], ownPath: '/' },
    { name: 'blkio', version: 1, controllers: ['blkio'], ownPath: '/' },
    { name: 'pids', version: 1, controllers: ['pids'], ownPath: '/' },
  ];
  const kept = mounts.filter((m) => !m.controllers.some((c) => opts.without?.includes(c)));
  if (opts.unified) kept.push({ name: 'unified', version: 2, controllers: [], ownPath: '/' });
  return kept;
}

function manager(host: FakeHost, instance = 'jt'): CgroupManager {
  return createCgroupManager({ instance, fs: host.fs, mountinfo: host.mountinfo, procSelfCgroup: host.procSelfCgroup });
}

const read = (p: string) => fs.readFileSync(p, 'utf8');

test.after.each(killSleepers);

function withHost(name: string, mounts: FakeMount[], fn: (host: FakeHost) => void | Promise<void>): void {
  test(name, async () => {
    const host = fakeHost(mounts);
    try {
      await fn(host);
    } finally {
      host.cleanup();
    }
  });
}

withHost('v1: one directory per used hierarchy, under each own cgroup', v1Mounts(), (host) => {
  const m = manager(host);
  assert.is(m.kind, 'v1');
  const job = m.create('a1');
  assert.equal(
    job.procsFiles.map((f) => path.relative(host.root, f)).sort(),
    [
      'blkio/jt/job-a1/cgroup.procs',
      'cpu,cpuacct/jt/job-a1/cgroup.procs',
      'cpuset/jt/job-a1/cgroup.procs',
      'freezer/jt/job-a1/cgroup.procs',
      `memory${MEM_OWN}/jt/job-a1/cgroup.procs`,
      'pids/jt/job-a1/cgroup.procs',
    ],
  );
  assert.not.ok(fs.existsSync(path.join(host.root, 'devices', 'jt')), 'devices is not ours');
});

withHost('v1: cpuset cpus/mems are copied into <instance> and the job so tasks can join', v1Mounts(), (host) => {
  const job = manager(host).create('cs');
  for (const dir of ['cpuset/jt', 'cpuset/jt/job-cs']) {
    assert.is(read(path.join(host.root, dir, 'cpuset.cpus')).trim(), '0-3', dir);
    assert.is(read(path.join(host.root, dir, 'cpuset.mems')).trim(), '0', dir);
  }
  const s = sleeper();
  try {
    for (const f of job.procsFiles) host.fs.write(f, String(s.pid)); // the fake refuses ENOSPC on an empty cpuset
    assert.equal(job.pids(), [s.pid]);
  } finally {
    s.child.kill('SIGKILL');
  }
});

withHost('v1: limits are written with the exact file contents', v1Mounts(), (host) => {
  const job = manager(host).create('lim');
  const f = (ctl: string, name: string) => path.join(host.root, ctl, 'jt', 'job-lim', name);
  const memf = (name: string) => path.join(host.root, 'memory', MEM_OWN, 'jt', 'job-lim', name);
  job.setLimits({ cpuPercent: 50, cpuCores: '1', memoryBytes: 33554432, ioBps: { bps: 2000000, devices: ['8:0', '8:16'] }, pids: 20 });
  assert.is(read(f('cpu,cpuacct', 'cpu.cfs_period_us')), '100000');
  assert.is(read(f('cpu,cpuacct', 'cpu.cfs_quota_us')), '50000');
  assert.is(read(f('cpuset', 'cpuset.cpus')), '1');
  assert.is(read(memf('memory.limit_in_bytes')), '33554432');
  assert.is(read(memf('memory.memsw.limit_in_bytes')), '33554432');
  assert.is(read(f('pids', 'pids.max')), '20');
  const blkio = host.fs.writes.filter(([p]) => p.startsWith('blkio/')).map(([p, d]) => `${path.basename(p)} ${d}`);
  assert.equal(blkio, [
    'blkio.throttle.read_bps_device 8:0 2000000',
    'blkio.throttle.write_bps_device 8:0 2000000',
    'blkio.throttle.read_bps_device 8:16 2000000',
    'blkio.throttle.write_bps_device 8:16 2000000',
  ]);
  // memsw must stay >= limit at every step: lowering writes limit first, raising writes memsw first.
  const memOrder = () => host.fs.writes.filter(([p]) => p.startsWith('memory/')).map(([p]) => path.basename(p)).slice(-2);
  assert.equal(memOrder(), ['memory.limit_in_bytes', 'memory.memsw.limit_in_bytes']);
  job.setLimits({ memoryBytes: 67108864 });
  assert.equal(memOrder(), ['memory.memsw.limit_in_bytes', 'memory.limit_in_bytes']);
  job.setLimits({ memoryBytes: 16777216 });
  assert.equal(memOrder(), ['memory.limit_in_bytes', 'memory.memsw.limit_in_bytes']);
});

withHost('v1: a missing controller makes setLimits name the limit', v1Mounts({ without: ['blkio', 'pids'] }), (host) => {
  const job = manager(host).create('mc');
  const cases: Array<[CgroupLimits, string[]]> = [
    [{ ioBps: { bps: 1000, devices: ['8:0'] } }, ['IO bandwidth limit', "'blkio'"]],
    [{ pids: 10 }, ['process count limit', "'pids'"]],
  ];
  for (const [limits, parts] of cases) {
    let err: unknown;
    try {
      job.setLimits(limits);
    } catch (e) {
      err = e;
    }
    assert.instance(err, JobletError);
    assert.is((err as JobletError).code, 'FAILED_PRECONDITION');
    for (const p of parts) assert.ok((err as Error).message.includes(p), (err as Error).message);
  }
  job.setLimits({ memoryBytes: 1 << 26, cpuPercent: 100 });
});

withHost('v1: without swap accounting only memory.limit_in_bytes is written', v1Mounts(), (host) => {
  const job = manager(host).create('nsw');
  const dir = path.join(host.root, 'memory', MEM_OWN, 'jt', 'job-nsw');
  fs.rmSync(path.join(dir, 'memory.memsw.limit_in_bytes'));
  job.setLimits({ memoryBytes: 1 << 26 });
  assert.is(read(path.join(dir, 'memory.limit_in_bytes')), String(1 << 26));
});

withHost('v1: stats from cpuacct.usage (ns → µs), memory and pids files', v1Mounts(), (host) => {
  const job = manager(host).create('st');
  const j = (ctl: string) => path.join(host.root, ctl, 'jt', 'job-st');
  host.fs.set(path.join(j('cpu,cpuacct'), 'cpuacct.usage'), '5000999\n');
  host.fs.set(path.join(j(`memory${MEM_OWN}`), 'memory.max_usage_in_bytes'), '1048576\n');
  host.fs.set(path.join(j(`memory${MEM_OWN}`), 'memory.usage_in_bytes'), '8192\n');
  host.fs.set(path.join(j(`memory${MEM_OWN}`), 'memory.oom_control'), 'oom_kill_disable 0\nunder_oom 0\noom_kill 4\n');
  host.fs.set(path.join(j('pids'), 'pids.current'), '2\n');
  assert.equal(job.stats(), { cpuUsageUsec: 5000, memoryPeakBytes: 1048576, memoryCurrentBytes: 8192, oomKills: 4, pidsCurrent: 2 });
});

withHost('v1: killAll freezes, SIGKILLs every member, thaws', v1Mounts(), async (host) => {
  const job = manager(host).create('k');
  const ss = [sleeper(), sleeper(), sleeper()];
  for (const s of ss) for (const f of job.procsFiles) host.fs.write(f, String(s.pid));
  assert.equal(job.pids(), ss.map((s) => s.pid).sort((a, b) => a - b));
  await job.killAll();
  for (const s of ss) assert.is(await s.exited, 'SIGKILL');
  const freezer = host.fs.writes.filter(([p]) => p.endsWith('freezer.state')).map(([, d]) => d);
  assert.equal(freezer.slice(0, 2), ['FROZEN', 'THAWED']);
  assert.is(read(path.join(host.root, 'freezer/jt/job-k/freezer.state')), 'THAWED');
  await job.destroy();
  for (const f of job.procsFiles) assert.not.ok(fs.existsSync(path.dirname(f)), f);
});

withHost('v1: without a freezer, repeated SIGKILL sweeps still empty the job', v1Mounts({ without: ['freezer'] }), async (host) => {
  const job = manager(host).create('nf');
  const s = sleeper();
  for (const f of job.procsFiles) host.fs.write(f, String(s.pid));
  await job.killAll();
  assert.is(await s.exited, 'SIGKILL');
});

withHost('v1: list/open/destroy across hierarchies; two instances coexist', v1Mounts(), async (host) => {
  const a = manager(host, 'ia');
  const b = manager(host, 'ib');
  a.create('j1');
  b.create('j2');
  assert.equal(a.list(), ['j1']);
  assert.equal(b.list(), ['j2']);
  const j1 = a.open('j1')!;
  assert.is(j1.procsFiles.length, 6);
  await j1.destroy();
  assert.equal(a.list(), []);
  assert.is(a.open('j1'), undefined);
  a.dispose();
  for (const ctl of ['cpu,cpuacct', 'cpuset', `memory${MEM_OWN}`, 'pids']) assert.not.ok(fs.existsSync(path.join(host.root, ctl, 'ia')));
});

withHost('hybrid: v1 dirs plus a cgroup2 dir; killAll uses cgroup.kill', v1Mounts({ unified: true }), async (host) => {
  const m = manager(host);
  assert.is(m.kind, 'hybrid');
  const job = m.create('h');
  assert.ok(job.procsFiles.includes(path.join(host.root, 'unified', 'jt', 'job-h', 'cgroup.procs')));
  assert.is(job.procsFiles.length, 7);
  const ss = [sleeper(), sleeper()];
  for (const s of ss) for (const f of job.procsFiles) host.fs.write(f, String(s.pid));
  await job.killAll();
  for (const s of ss) assert.is(await s.exited, 'SIGKILL');
  assert.ok(host.fs.writes.some(([p, d]) => p === 'unified/jt/job-h/cgroup.kill' && d === '1'));
  assert.not.ok(host.fs.writes.some(([p]) => p.endsWith('freezer.state')), 'cgroup.kill sufficed');
});

withHost('hybrid: a process missing from the cgroup2 dir is still killed via the freezer', v1Mounts({ unified: true }), async (host) => {
  const job = manager(host).create('h2');
  const s = sleeper();
  for (const f of job.procsFiles.filter((f) => !f.includes('/unified/'))) host.fs.write(f, String(s.pid));
  await job.killAll();
  assert.is(await s.exited, 'SIGKILL');
});

withHost('hybrid: CPU usage comes from cgroup2 cpu.stat when cpuacct is absent', v1Mounts({ unified: true, without: ['cpuacct'] }), (host) => {
  const job = manager(host).create('cpu');
  host.fs.set(path.join(host.root, 'unified', 'jt', 'job-cpu', 'cpu.stat'), 'usage_usec 777\nuser_usec 700\nsystem_usec 77\n');
  assert.is(job.stats().cpuUsageUsec, 777);
});

withHost('v1: stats add the memory limit, blkio bytes and CFS throttling; no PSI without cgroup2', v1Mounts(), (host) => {
  const job = manager(host).create('ex');
  const j = (ctl: string) => path.join(host.root, ctl, 'jt', 'job-ex');
  const before = job.stats();
  assert.is(before.memoryLimitBytes, undefined, 'the kernel\'s "no limit" value reads as no limit');
  job.setLimits({ memoryBytes: 64 << 20 });
  host.fs.set(path.join(j('blkio'), 'blkio.throttle.io_service_bytes'), '8:0 Read 4096\n8:0 Write 8192\n8:0 Sync 0\n8:0 Total 12288\n7:1 Read 100\n7:1 Write 0\nTotal 12388\n');
  host.fs.set(path.join(j('cpu,cpuacct'), 'cpu.stat'), 'nr_periods 50\nnr_throttled 20\nthrottled_time 3000000000\n');
  const s = job.stats();
  assert.is(s.memoryLimitBytes, 64 << 20);
  assert.is(s.ioReadBytes, 4196);
  assert.is(s.ioWriteBytes, 8192);
  assert.is(s.cpuPeriods, 50);
  assert.is(s.cpuThrottledPeriods, 20);
  assert.is(s.cpuThrottledUsec, 3000000, 'throttled_time is ns');
  assert.is(s.pressure, undefined);
});

withHost('hybrid: pressure stall information comes from the cgroup2 directory', v1Mounts({ unified: true }), (host) => {
  const job = manager(host).create('psi');
  const dir = path.join(host.root, 'unified', 'jt', 'job-psi');
  assert.is(job.stats().pressure, undefined, 'no pressure files: no PSI');
  host.fs.set(path.join(dir, 'cpu.pressure'), 'some avg10=12.50 avg60=3.00 avg300=1.00 total=123\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n');
  host.fs.set(path.join(dir, 'memory.pressure'), 'some avg10=1.25 avg60=0.00 avg300=0.00 total=9\nfull avg10=0.75 avg60=0.00 avg300=0.00 total=5\n');
  host.fs.set(path.join(dir, 'io.pressure'), 'some avg10=0.10 avg60=0.00 avg300=0.00 total=1\nfull avg10=0.05 avg60=0.00 avg300=0.00 total=1\n');
  assert.equal(job.stats().pressure, { cpuSome: 12.5, memorySome: 1.25, memoryFull: 0.75, ioSome: 0.1, ioFull: 0.05 });
});

test.run();
