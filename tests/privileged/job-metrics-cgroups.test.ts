/**
 * Per-job sampling on this real hybrid host, and on its v1 and cgroup2 hierarchies alone: real
 * processes in real cgroups, sampled through the CgroupManager wrapper the daemon uses. CPU
 * throttling under a quota, memory held, direct IO to disk and PSI show in the samples. Needs root
 * (fails without it unless JOBLET_ALLOW_SKIP=1).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sampledCgroups } from '../../src/daemon/monitoring/cgroup-hook';
import { JobSampler } from '../../src/daemon/monitoring/job-sampler';
import { createCgroupManager } from '../../src/sandbox/cgroups/detect';
import type { CgroupManager, JobCgroup } from '../../src/sandbox/cgroups/manager';
import { Database } from '../../src/store/db';
import { MetricsStore, type JobSample } from '../../src/store/metrics';

const INSTANCE = `jm-test-${process.pid}`;
const MiB = 1 << 20;

function skipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root to create cgroups';
  const mi = fs.readFileSync('/proc/self/mountinfo', 'utf8');
  if (!(/ - cgroup \S+ \S*\bmemory\b/.test(mi) && / - cgroup2 /.test(mi))) return 'host is not hybrid (needs a v1 memory hierarchy and a cgroup2 mount)';
  return undefined;
}

const reason = skipReason();
if (reason !== undefined) {
  if (process.env.JOBLET_ALLOW_SKIP !== '1') throw new Error(`privileged job metrics test cannot run: ${reason}`);
  console.log(`SKIP job-metrics-cgroups: ${reason}`);
} else {
  const children: ChildProcess[] = [];
  const cleanups: (() => Promise<void> | void)[] = [];
  let dir: string;
  let db: Database;
  const hasPsi = fs.existsSync('/proc/pressure/cpu');

  test.before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'joblet-jm-'));
    db = new Database(dir);
  });
  test.after(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const c of cleanups.reverse()) await Promise.resolve(c()).catch((err: Error) => console.error(`cleanup: ${err.message}`));
    db.close();
    // Under /tmp, which is on the root disk here: the direct-IO file lived in it.
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A manager (hybrid, or with one kind of hierarchy hidden) wrapped for sampling every 200 ms; samples land in `seen`. */
  function sampled(suffix: string, hide?: ' - cgroup ' | ' - cgroup2 '): { cgroups: CgroupManager; seen: Map<string, JobSample[]> } {
    const mountinfo = hide ? fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => !l.includes(hide)).join('\n') : undefined;
    const inner = createCgroupManager({ instance: `${INSTANCE}${suffix}`, mountinfo });
    const sampler = new JobSampler(200, { store: new MetricsStore(db), veth: () => undefined, log: (m) => console.error(m) });
    const seen = new Map<string, JobSample[]>();
    const cgroups = sampledCgroups(inner, sampler);
    const create = cgroups.create.bind(cgroups);
    cgroups.create = (id: string) => {
      const list: JobSample[] = [];
      seen.set(id, list);
      sampler.subscribe(id, { sample: (s) => list.push(s), end: () => undefined });
      const cg = create(id);
      cleanups.push(async () => {
        await cg.killAll();
        await cg.destroy();
      });
      return cg;
    };
    cleanups.push(() => {
      sampler.stopAll();
      inner.dispose();
    });
    return { cgroups, seen };
  }

  /** Start cmd held at a gate, join it to every hierarchy of the job, then let it run. */
  function startIn(job: JobCgroup, cmd: string[]): { exited: Promise<unknown> } {
    const child = spawn('sh', ['-c', 'read _ && exec "$@"', 'gate', ...cmd], { stdio: ['pipe', 'ignore', 'inherit'] });
    children.push(child);
    const exited = new Promise((r) => child.on('exit', r));
    for (const f of job.procsFiles) fs.writeFileSync(f, String(child.pid));
    child.stdin!.end('\n');
    return { exited };
  }

  async function until(cond: () => boolean, what: string, ms = 20000): Promise<void> {
    const end = Date.now() + ms;
    while (!cond()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  test('hybrid: a busy loop under a 30% quota is throttled and sampled near the quota; the limit and PSI are in the samples', async () => {
    const { cgroups, seen } = sampled('-h');
    const job = cgroups.create('cpu');
    job.setLimits({ cpuPercent: 30, memoryBytes: 128 * MiB });
    startIn(job, ['sh', '-c', 'while :; do :; done']);
    const s = seen.get('cpu')!;
    await until(() => s.length >= 12, 'twelve samples');
    const last = s[s.length - 1]!;
    assert.ok(last.cpuThrottledPeriods! > 0 && last.cpuThrottledUsec! > 0, `throttled ${last.cpuThrottledPeriods} periods, ${last.cpuThrottledUsec} µs`);
    assert.ok(last.cpuPeriods! >= last.cpuThrottledPeriods!);
    // A quota is a ceiling: no full-interval sample goes much past it, however idle the host.
    const steady = s.slice(2).map((x) => x.cpuPercent);
    assert.ok(Math.max(...steady) <= 45, `CPU under a 30% quota: ${steady.join(', ')}`);
    assert.is(last.memoryLimitBytes, 128 * MiB);
    assert.is(last.processCount, 1);
    if (hasPsi) assert.ok(last.pressure && typeof last.pressure.cpuSome === 'number', 'PSI from the cgroup2 directory');
    else assert.is(last.pressure, undefined);
    await job.killAll();
    await job.destroy();
    assert.ok(s[s.length - 1]!.final);
  });

  test('hybrid: memory held and direct IO to the disk show in the samples', async () => {
    const { cgroups, seen } = sampled('-m');
    const job = cgroups.create('memio');
    const file = path.join(dir, 'direct.bin');
    // 64 MiB held in perl; then 8 MiB written and read back with O_DIRECT (past the page cache, so blkio sees it).
    const script = `perl -e '$x = "a" x ($ARGV[0] * 1048576); sleep 600' 64 & dd if=/dev/zero of=${file} bs=1M count=8 oflag=direct 2>/dev/null && dd if=${file} of=/dev/null bs=1M iflag=direct 2>/dev/null; wait`;
    startIn(job, ['sh', '-c', script]);
    const s = seen.get('memio')!;
    await until(() => s.some((x) => x.memoryBytes! >= 60 * MiB && x.ioReadBytes! >= 8 * MiB && x.ioWriteBytes! >= 8 * MiB), 'a sample with 60 MiB held and 8 MiB read and written');
    const last = s[s.length - 1]!;
    assert.ok(last.memoryPeakBytes! >= 60 * MiB);
    assert.is(last.memoryLimitBytes, undefined, 'no limit set: none reported');
    await job.killAll();
    await job.destroy();
  });

  test('pure v1 (cgroup2 hidden): CPU and memory sampled, no PSI', async () => {
    const { cgroups, seen } = sampled('-v1', ' - cgroup2 ');
    assert.is(cgroups.kind, 'v1');
    const job = cgroups.create('v1');
    startIn(job, ['sh', '-c', 'while :; do :; done']);
    const s = seen.get('v1')!;
    await until(() => s.length >= 4 && s[s.length - 1]!.cpuUsageUsec! > 0, 'samples with CPU time');
    assert.ok(s.slice(1).some((x) => x.cpuPercent > 0));
    assert.ok(s[s.length - 1]!.memoryBytes! > 0);
    assert.is(s[s.length - 1]!.pressure, undefined);
    await job.killAll();
    await job.destroy();
  });

  test('cgroup2 alone (v1 hidden): CPU time and PSI come from the unified hierarchy', async () => {
    const { cgroups, seen } = sampled('-v2', ' - cgroup ');
    assert.is(cgroups.kind, 'v2');
    const job = cgroups.create('v2');
    startIn(job, ['sh', '-c', 'while :; do :; done']);
    const s = seen.get('v2')!;
    await until(() => s.length >= 4 && s[s.length - 1]!.cpuUsageUsec! > 0, 'samples with CPU time');
    assert.ok(s.slice(1).some((x) => x.cpuPercent > 0));
    if (hasPsi) assert.ok(s[s.length - 1]!.pressure);
    // Memory is bound to v1 on this host: cgroup2 cannot tell it, and the sample says unknown, not 0.
    assert.is(s[s.length - 1]!.memoryBytes, undefined);
    await job.killAll();
    await job.destroy();
  });

  test.run();
}
