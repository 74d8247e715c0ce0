/**
 * Per-job sampling through the CgroupManager wrapper, with a fake cgroup whose counters the test
 * moves: samples at the interval, CPU percent from the usage delta, the final sample when the
 * cgroup is destroyed, and live subscribers that see both.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sampledCgroups } from '../../src/daemon/monitoring/cgroup-hook';
import { JobSampler } from '../../src/daemon/monitoring/job-sampler';
import type { CgroupManager, CgroupStats, JobCgroup } from '../../src/sandbox/cgroups/manager';
import { Database, JobStore } from '../../src/store/db';
import { MetricsStore, type JobSample } from '../../src/store/metrics';

/** A cgroup manager whose job cgroups report `stats` and record destroy calls. */
function fakeCgroups(stats: CgroupStats, events: string[]): CgroupManager {
  const cg = (id: string): JobCgroup => ({
    procsFiles: [],
    setLimits: () => undefined,
    pids: () => [],
    stats: () => ({ ...stats }),
    killAll: async () => undefined,
    signalAll: () => undefined,
    destroy: async () => void events.push(`destroy ${id}`),
  });
  return { kind: 'v2', create: cg, open: (id) => (id === 'left' ? cg(id) : undefined), list: () => ['left'], dispose: () => undefined };
}

async function until(cond: () => boolean, what: string, ms = 10000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) assert.unreachable(what);
    await new Promise((r) => setTimeout(r, 10));
  }
}

let dir: string;
let db: Database;
test.before.each(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'joblet-sampler-'));
  db = new Database(dir);
});
test.after.each(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a created cgroup is sampled every interval and once more when destroyed; listeners see it all', async () => {
  const metrics = new MetricsStore(db);
  new JobStore(db); // the table the samples' trigger hangs on
  const stats: CgroupStats = { cpuUsageUsec: 0, memoryCurrentBytes: 1000, memoryLimitBytes: 64 << 20, pidsCurrent: 1 };
  const events: string[] = [];
  const sampler = new JobSampler(100, { store: metrics, veth: (id) => (id === 'j1' ? 'lo' : undefined), log: (m) => events.push(`log ${m}`) });
  const cgroups = sampledCgroups(fakeCgroups(stats, events), sampler);
  assert.is(cgroups.kind, 'v2');
  const seen: JobSample[] = [];
  let ended = false;
  sampler.subscribe('j1', { sample: (s) => seen.push(s), end: () => (ended = true) });

  const cg = cgroups.create('j1');
  assert.ok(sampler.tracks('j1'));
  const t0 = performance.now();
  // Burn "one core": usage grows as fast as wall time.
  const burn = setInterval(() => (stats.cpuUsageUsec = Math.round((performance.now() - t0) * 1000)), 5);
  try {
    await until(() => seen.length >= 3, 'three periodic samples');
  } finally {
    clearInterval(burn);
  }
  const periodic = seen.slice(0, 3);
  for (const s of periodic) {
    assert.not.ok(s.final);
    assert.ok(s.intervalMs > 0 && s.intervalMs < 5000, `interval ${s.intervalMs}`);
    assert.is(s.memoryLimitBytes, 64 << 20);
    assert.is(s.processCount, 1);
    assert.is(typeof s.netRxBytes, 'number', 'the veth counters are read');
  }
  // A late tick makes the next interval short (setInterval keeps its schedule), so check the sum:
  // the third sample cannot come before three intervals have passed since the cgroup was created.
  const total = periodic.reduce((n, s) => n + s.intervalMs, 0);
  assert.ok(total >= 290, `three intervals took ${total} ms`);
  assert.ok(periodic[1]!.cpuPercent > 80 && periodic[1]!.cpuPercent < 120, `cpu ${periodic[1]!.cpuPercent}`);
  assert.equal(sampler.latest('j1'), seen[seen.length - 1]);

  stats.memoryCurrentBytes = 5;
  await cg.destroy();
  const last = seen[seen.length - 1]!;
  assert.ok(last.final, 'the final sample comes before the cgroup goes');
  assert.is(last.memoryBytes, 5);
  assert.ok(ended);
  assert.equal(events.filter((e) => e.startsWith('destroy')), ['destroy j1']);
  assert.not.ok(sampler.tracks('j1'));
  assert.is(sampler.latest('j1'), undefined);
  assert.is(metrics.count('j1'), seen.length, 'every sample was stored');
  const n = seen.length;
  await new Promise((r) => setTimeout(r, 300));
  assert.is(seen.length, n, 'no samples after the end');
  await cg.destroy();
  assert.is(seen.length, n, 'a second destroy takes no second final sample');
});

test('cgroups opened at recovery are not sampled; a cgroup that cannot be read is skipped with a log line', async () => {
  const events: string[] = [];
  const sampler = new JobSampler(50, { store: new MetricsStore(db), veth: () => undefined, log: (m) => events.push(m) });
  const inner = fakeCgroups({}, events);
  const cgroups = sampledCgroups(inner, sampler);
  assert.equal(cgroups.list(), ['left']);
  await cgroups.open('left')!.destroy();
  assert.not.ok(sampler.tracks('left'));
  const broken: CgroupManager = { ...inner, create: (id) => ({ ...inner.create(id), stats: () => { throw new Error('EIO'); } }) };
  const cg = sampledCgroups(broken, sampler).create('bad');
  await until(() => events.some((e) => /job bad: cannot read its cgroup: EIO/.test(e)), 'the failure is logged');
  await cg.destroy();
  assert.is(sampler.latest('bad'), undefined);
  sampler.stopAll();
});

test.run();
