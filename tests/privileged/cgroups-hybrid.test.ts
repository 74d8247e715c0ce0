/**
 * The cgroup manager on this real hybrid host (v1 controllers + controller-less cgroup2): real
 * processes joined, limits read back from the kernel's files, a real OOM kill, a real pids.max stop,
 * and killAll against forking, setsid'd, SIGTERM-ignoring trees. Needs root; without it (or on a
 * host that is not hybrid) it fails unless JOBLET_ALLOW_SKIP=1.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createCgroupManager } from '../../src/sandbox/cgroups/detect';
import type { CgroupManager, JobCgroup } from '../../src/sandbox/cgroups/manager';

const INSTANCE = `joblet-test-${process.pid}`;

function skipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root to create cgroups';
  const mi = fs.readFileSync('/proc/self/mountinfo', 'utf8');
  const v1Memory = / - cgroup \S+ \S*\bmemory\b/.test(mi);
  const cgroup2 = / - cgroup2 /.test(mi);
  if (!(v1Memory && cgroup2)) return 'host is not hybrid (needs a v1 memory hierarchy and a cgroup2 mount)';
  return undefined;
}

const reason = skipReason();
if (reason !== undefined) {
  if (process.env.JOBLET_ALLOW_SKIP !== '1') throw new Error(`privileged cgroup test cannot run: ${reason}`);
  console.log(`SKIP cgroups-hybrid: ${reason}`);
} else {
  const children: ChildProcess[] = [];
  const jobs: JobCgroup[] = [];
  let manager: CgroupManager | undefined;

  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  /** True while pid is a live (non-zombie) process. */
  function alive(pid: number): boolean {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
    } catch {
      return false;
    }
  }

  function sessionOf(pid: number): number {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[3]);
  }

  async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
    const end = Date.now() + ms;
    while (!cond()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await sleep(10);
    }
  }

  /**
   * Starts cmd held at a gate, joins it to every hierarchy of the job (standing in for the init
   * stage, which joins last and then execs), then opens the gate.
   */
  function startInJob(job: JobCgroup, cmd: string[]) {
    const child = spawn('sh', ['-c', 'read _ && exec "$@"', 'gate', ...cmd], { stdio: ['pipe', 'ignore', 'pipe'] });
    children.push(child);
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal })),
    );
    for (const file of job.procsFiles) fs.writeFileSync(file, String(child.pid));
    child.stdin!.end('\n');
    return { pid: child.pid!, exited, stderr: () => stderr };
  }

  function newJob(id: string): JobCgroup {
    const job = manager!.create(id);
    jobs.push(job);
    return job;
  }

  test.before(() => {
    manager = createCgroupManager({ instance: INSTANCE });
  });

  test.after(async () => {
    // Clean up whatever a failed test left: processes, job cgroups, the instance parent.
    for (const job of jobs) await job.killAll().catch(() => {});
    for (const job of jobs) await job.destroy().catch(() => {});
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    try {
      manager?.dispose();
    } catch (err) {
      console.error(`cleanup: ${(err as Error).message}`);
    }
  });

  test('detects hybrid and places jobs under this process own cgroups', async () => {
    assert.is(manager!.kind, 'hybrid');
    const job = newJob('paths');
    const own = fs.readFileSync('/proc/self/cgroup', 'utf8');
    const memOwn = /^\d+:memory:(.*)$/m.exec(own)![1];
    assert.ok(job.procsFiles.includes(path.join('/sys/fs/cgroup/memory', memOwn, INSTANCE, 'job-paths', 'cgroup.procs')));
    assert.ok(job.procsFiles.some((f) => f.startsWith('/sys/fs/cgroup/unified/')));
    for (const f of job.procsFiles) assert.ok(fs.existsSync(f), f);
    assert.equal(manager!.list(), ['paths']);
    assert.equal(manager!.open('paths')!.procsFiles, job.procsFiles);
    await job.destroy();
    assert.equal(manager!.list(), []);
  });

  test('pids(), limits read back, signalAll, killAll of setsid/TERM-ignoring trees, destroy', async () => {
    const job = newJob('tree');
    job.setLimits({ pids: 64, memoryBytes: 256 << 20 });
    const pidsDir = job.procsFiles.find((f) => f.startsWith('/sys/fs/cgroup/pids/'))!;
    const memDir = job.procsFiles.find((f) => f.startsWith('/sys/fs/cgroup/memory/'))!;
    assert.is(fs.readFileSync(path.join(path.dirname(pidsDir), 'pids.max'), 'utf8').trim(), '64');
    assert.is(fs.readFileSync(path.join(path.dirname(memDir), 'memory.limit_in_bytes'), 'utf8').trim(), String(256 << 20));

    const plain = startInJob(job, ['sleep', '300']);
    const forked = startInJob(job, ['sh', '-c', 'sleep 300 & sleep 300 & wait']);
    // The subshell exits at once, orphaning a setsid'd TERM-ignoring shell: a double-forked grandchild.
    const escaper = startInJob(job, ['sh', '-c', `trap "" TERM; (setsid sh -c 'trap "" TERM; sleep 300' &); sleep 300`]);
    // plain + (sh + 2 sleeps) + (sh + sleep) + (setsid'd sh + its sleep) = 8
    // A session leader other than ours with a child of its own: the setsid'd shell has started its sleep.
    const setsidLeaders = () => job.pids().filter((p) => alive(p) && sessionOf(p) === p);
    await until(
      () => job.pids().length === 8 && setsidLeaders().length === 1 && job.pids().filter((p) => sessionOf(p) === setsidLeaders()[0]).length === 2,
      'all 8 processes to start, two of them in a new session',
    );
    const members = job.pids();
    for (const pid of [plain.pid, forked.pid, escaper.pid]) assert.ok(members.includes(pid), `pid ${pid} in job`);
    const foreign = members.filter((p) => sessionOf(p) !== sessionOf(escaper.pid));
    assert.is(foreign.length, 2, 'the setsid shell and its sleep are tracked');
    for (const file of job.procsFiles) {
      const inFile = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map(Number).sort((a, b) => a - b);
      assert.equal(inFile, members, `${file} tracks every process`);
    }
    assert.is(job.stats().pidsCurrent, members.length);

    job.signalAll('SIGTERM');
    assert.is((await plain.exited).signal, 'SIGTERM');
    await sleep(100);
    assert.ok(alive(escaper.pid) && foreign.every(alive), 'TERM-ignoring processes survive SIGTERM');

    const before = job.pids();
    await job.killAll();
    assert.equal(job.pids(), []);
    assert.is((await escaper.exited).signal, 'SIGKILL');
    await until(() => before.every((p) => !alive(p)), 'every former member to be gone', 2000);
    assert.ok(job.stats().cpuUsageUsec! > 0, 'CPU usage was accounted');

    await job.destroy();
    for (const f of job.procsFiles) assert.not.ok(fs.existsSync(path.dirname(f)), `${path.dirname(f)} removed`);
  });

  test('a memory hog under 32 MB is OOM-killed and counted', async () => {
    const job = newJob('oom');
    job.setLimits({ memoryBytes: 32 << 20 });
    const hog = startInJob(job, ['sh', '-c', 'a=x; while :; do a=$a$a; done']);
    const { signal } = await hog.exited;
    assert.is(signal, 'SIGKILL');
    const s = job.stats();
    assert.ok((s.oomKills ?? 0) >= 1, `oomKills=${s.oomKills}`);
    assert.ok(s.memoryPeakBytes! <= 32 << 20 && s.memoryPeakBytes! > 4 << 20, `peak=${s.memoryPeakBytes}`);
    await job.killAll();
    await job.destroy();
  });

  test('pids.max stops a fork loop at the limit; killAll ends it', async () => {
    const job = newJob('forks');
    job.setLimits({ pids: 5 });
    const loop = startInJob(job, ['sh', '-c', 'while :; do sleep 300 & done']);
    await until(() => /fork/i.test(loop.stderr()), 'the shell to report a refused fork');
    // dash exits on a refused fork, so 4 sleeps remain, or 5 processes if it has not exited yet.
    const n = job.stats().pidsCurrent!;
    assert.ok(n === 4 || n === 5, `pids.current=${n}`);
    assert.ok(job.pids().length <= 5);
    const seen = job.pids();
    await job.killAll();
    await loop.exited;
    await until(() => seen.every((p) => !alive(p)), 'the sleeps to be gone', 2000);
    await job.destroy();
  });

  test('pure-v1 freezer kill on the real hierarchies (cgroup2 hidden) stops a fork loop', async () => {
    const mountinfo = fs
      .readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .filter((l) => !l.includes(' - cgroup2 '))
      .join('\n');
    const v1 = createCgroupManager({ instance: `${INSTANCE}-v1`, mountinfo });
    assert.is(v1.kind, 'v1');
    const job = v1.create('freeze');
    try {
      job.setLimits({ pids: 40 });
      const loop = startInJob(job, ['sh', '-c', 'while :; do (sleep 300 &) ; done']);
      await until(() => job.pids().length >= 10, 'the fork loop to grow');
      const seen = job.pids();
      await job.killAll();
      assert.equal(job.pids(), []);
      assert.is((await loop.exited).signal, 'SIGKILL');
      await until(() => seen.every((p) => !alive(p)), 'orphaned sleeps to be gone', 2000);
      const freezer = job.procsFiles.find((f) => f.startsWith('/sys/fs/cgroup/freezer/'))!;
      assert.is(fs.readFileSync(path.join(path.dirname(freezer), 'freezer.state'), 'utf8').trim(), 'THAWED');
    } finally {
      await job.killAll().catch(() => {});
      await job.destroy().catch(() => {});
      v1.dispose();
    }
  });

  test('v2 path on the real cgroup2 mount (v1 hidden): tracked and killed, limits refused by name', async () => {
    const mountinfo = fs
      .readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .filter((l) => !l.includes(' - cgroup '))
      .join('\n');
    const v2 = createCgroupManager({ instance: `${INSTANCE}-v2`, mountinfo });
    assert.is(v2.kind, 'v2');
    const job = v2.create('unified');
    try {
      assert.is(job.procsFiles.length, 1);
      // This host binds memory to a v1 hierarchy, so cgroup2 cannot offer it.
      let err: unknown;
      try {
        job.setLimits({ memoryBytes: 32 << 20 });
      } catch (e) {
        err = e;
      }
      assert.match((err as Error)?.message ?? '', /memory limit.*'memory' controller/);
      const loop = startInJob(job, ['sh', '-c', 'trap "" TERM; while :; do (setsid sleep 300 &); sleep 0.01; done']);
      await until(() => job.pids().length >= 5, 'the loop to start setsid sleeps');
      const seen = job.pids();
      await job.killAll();
      assert.equal(job.pids(), []);
      assert.is((await loop.exited).signal, 'SIGKILL');
      await until(() => seen.every((p) => !alive(p)), 'the setsid sleeps to be gone', 2000);
      assert.ok(job.stats().cpuUsageUsec! > 0);
    } finally {
      await job.killAll().catch(() => {});
      await job.destroy().catch(() => {});
      v2.dispose();
    }
  });

  test('destroy and dispose leave no directories', () => {
    for (const job of jobs) for (const f of job.procsFiles) assert.not.ok(fs.existsSync(path.dirname(f)), path.dirname(f));
    manager!.dispose();
    for (const f of jobs[0].procsFiles) {
      const parent = path.dirname(path.dirname(f));
      assert.is(path.basename(parent), INSTANCE);
      assert.not.ok(fs.existsSync(parent), parent);
    }
  });

  test.run();
}
