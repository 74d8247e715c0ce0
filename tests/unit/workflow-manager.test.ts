/**
 * The workflow manager over the real job manager with fake sandboxes: ordering and parallelism
 * within maxConcurrentJobs, cancellation of what can never start, retries, on_failure, stop,
 * rerun, delete, a restart in the middle of a run, orphans, and nothing created when invalid.
 * The fake "commands": `ok`, `fail N` (exit N), `hang` (until killed), `flaky N` (fails until
 * attempt N).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { CgroupManager, JobCgroup } from '../../src/sandbox/cgroups/manager';
import type { JobSpec } from '../../src/sandbox/spec';
import type { SandboxProcess } from '../../src/sandbox/spawn';
import { Database, JobStore } from '../../src/store/db';
import { WorkflowStore } from '../../src/store/workflow-store';
import { JobManager, type ManagerSettings } from '../../src/daemon/jobs/manager';
import { TimerQueue } from '../../src/daemon/schedule/timers';
import { WorkflowManager, type WorkflowView } from '../../src/daemon/workflows/manager';
import { isWorkflowDone } from '../../src/store/workflow-record';
import { WorkflowInvalidError } from '../../src/shared/workflow/problems';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'joblet-wfm-'));
const keepAlive = setInterval(() => undefined, 1000);
test.after(() => {
  clearInterval(keepAlive);
  fs.rmSync(root, { recursive: true, force: true });
});

const NO_PID = 2 ** 22 - 1;

/** A process that ends as its command says. */
function fakeProc(spec: JobSpec, live: Set<string>, log: string[]): { proc: SandboxProcess; kill(): void } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let exit!: (v: { code: number | null; signal: NodeJS.Signals | null }) => void;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => (exit = r));
  let done = false;
  const end = (code: number | null, signal: NodeJS.Signals | null) => {
    if (done) return;
    done = true;
    live.delete(spec.jobId);
    log.push(`end ${spec.env.WORKFLOW_JOB}`);
    stdout.end();
    stderr.end();
    exit({ code, signal });
  };
  const started = new Promise<void>((r) => setImmediate(r));
  void started.then(() => {
    live.add(spec.jobId);
    log.push(`start ${spec.env.WORKFLOW_JOB}`);
    const [cmd, arg] = [spec.command, spec.args[0]];
    if (cmd === 'ok') setTimeout(() => end(0, null), 2);
    else if (cmd === 'fail') setTimeout(() => end(Number(arg), null), 2);
    else if (cmd === 'flaky') setTimeout(() => end(Number(spec.env.JOB_ATTEMPT) >= Number(arg) ? 0 : 1, null), 2);
    // 'hang' runs until its cgroup is killed.
  });
  return { proc: { pid: NO_PID, stdout, stderr, started, exited }, kill: () => end(null, 'SIGKILL') };
}

interface World {
  jobs: JobManager;
  wf: WorkflowManager;
  db: Database;
  stateDir: string;
  live: Set<string>;
  maxLive: number;
  log: string[];
  daemonLog: string[];
  timers: TimerQueue;
  off: () => void;
}

/** A daemon's managers over fakes; `stateDir` reuses a previous world's state (a restart). */
function world(o: { maxConcurrentJobs?: number; stateDir?: string; volumes?: string[] } = {}): World {
  const stateDir = o.stateDir ?? fs.mkdtempSync(path.join(root, 'state-'));
  const db = new Database(stateDir);
  const store = new JobStore(db);
  const w = { live: new Set<string>(), maxLive: 0, log: [] as string[], daemonLog: [] as string[], stateDir, db } as World;
  const kills = new Map<string, () => void>();
  const cgroups: CgroupManager = {
    kind: 'v2',
    create: (id) =>
      ({
        procsFiles: [],
        setLimits: () => undefined,
        pids: () => [],
        stats: () => ({ cpuUsageUsec: 0, memoryPeakBytes: 0, oomKills: 0 }),
        killAll: async () => kills.get(id)?.(),
        signalAll: () => undefined,
        destroy: async () => undefined,
      }) as JobCgroup,
    open: () => undefined,
    list: () => [],
    dispose: () => undefined,
  };
  const s: ManagerSettings = {
    stateDir,
    stopGraceSeconds: 0,
    maxLogBytes: 1 << 20,
    maxConcurrentJobs: o.maxConcurrentJobs ?? 10_000,
    validation: { limits: { defaultMemoryMB: 64, defaultPids: 64, defaultCpuPercent: 0, defaultIoBps: 0, defaultTimeoutSeconds: 0, defaultDiskQuotaBytes: 1 << 20, maxCpuPercent: 0, maxMemoryMB: 0, maxPids: 1000, maxIoBps: 0, maxTimeoutSeconds: 3600, maxDiskBytes: 1 << 30 }, host: { cpus: [0, 1], memoryBytes: 8 << 30 } },
    uid: 65534,
    gid: 65534,
    userName: 'job',
    tmpSizeMB: 16,
    nofile: 1024,
    killTimeoutMs: 500,
  };
  w.timers = new TimerQueue((m) => w.daemonLog.push(m));
  w.jobs = new JobManager(s, {
    store,
    cgroups,
    log: (m) => w.daemonLog.push(m),
    spawn: (spec) => {
      const p = fakeProc(spec, w.live, w.log);
      kills.set(spec.jobId, p.kill);
      void p.proc.started.then(() => (w.maxLive = Math.max(w.maxLive, w.live.size)));
      return p.proc;
    },
    workspaces: {
      create: (dir) => fs.mkdirSync(path.join(dir, 'work'), { recursive: true }),
      remove: (dir) => fs.rmSync(dir, { recursive: true, force: true }),
    },
    catchesSigterm: () => false,
    timers: w.timers,
  });
  w.wf = new WorkflowManager(
    { stateDir, uid: process.getuid!(), gid: process.getgid!(), maxJobs: 1000, maxActive: 100, maxYamlBytes: 1 << 20, maxUploadBytes: 1 << 30, retention: { days: 0, keep: 0 } },
    { store: new WorkflowStore(db), jobs: w.jobs, jobStore: store, timers: w.timers, volumes: () => o.volumes ?? [], networks: () => ['none', 'bridge', 'isolated'], log: (m) => w.daemonLog.push(m) },
  );
  w.off = w.jobs.lifecycle.subscribe((c) => w.wf.onJobChange(c));
  return w;
}

async function start(w: World): Promise<void> {
  await w.jobs.recover();
  w.jobs.start();
  w.wf.start();
}

function run(w: World, yaml: string, opts: { files?: { path: string; content: string }[] } = {}): WorkflowView {
  const files = (opts.files ?? []).map((f) => ({ path: f.path, content: Buffer.from(f.content), mode: 0o644, isDirectory: false, size: '0' }));
  return w.wf.submit({ file: 'w.yaml', yaml: `defaults: {network: none}\n${yaml}`, files, workflowName: '', env: {} }, 'tester');
}

async function ended(w: World, id: string, ms = 10_000): Promise<WorkflowView> {
  await w.wf.runs.untilEnded(id);
  const until = Date.now() + ms;
  for (;;) {
    const v = w.wf.get(id);
    if (isWorkflowDone(v.rec.status)) return v;
    if (Date.now() > until) throw new Error(`workflow ${id} still ${v.rec.status}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const states = (v: WorkflowView) => Object.fromEntries(v.jobs.map((j) => [j.name, j.status]));

test('fan-out and fan-in in order; never more jobs at once than maxConcurrentJobs', async () => {
  const w = world({ maxConcurrentJobs: 2 });
  await start(w);
  const fan = ['p1', 'p2', 'p3', 'p4', 'p5'].map((n) => `  ${n}: {command: ok, requires: [{root: COMPLETED}]}`).join('\n');
  const v = run(w, `jobs:\n  root: {command: ok}\n${fan}\n  join:\n    command: ok\n    requires: [${['p1', 'p2', 'p3', 'p4', 'p5'].map((n) => `{${n}: COMPLETED}`).join(', ')}]\n`);
  assert.is(v.rec.status, 'PENDING');
  assert.equal(new Set(v.jobs.map((j) => j.status)), new Set(['PENDING']), 'every job exists, PENDING, from the start');
  const done = await ended(w, v.rec.id);
  assert.is(done.rec.status, 'COMPLETED');
  assert.ok(w.maxLive <= 2, `at most 2 at once, saw ${w.maxLive}`);
  assert.ok(w.maxLive === 2, 'and ready jobs did run in parallel');
  const at = (e: string) => w.log.indexOf(e);
  for (const n of ['p1', 'p2', 'p3', 'p4', 'p5']) {
    assert.ok(at(`end root`) < at(`start ${n}`), `${n} after root`);
    assert.ok(at(`end ${n}`) < at('start join'), `join after ${n}`);
  }
  w.off();
});

test('a requirement that can no longer be met cancels the job (and what waits for it) naming it; a branch on FAILED runs', async () => {
  const w = world();
  await start(w);
  const v = run(w, `jobs:
  a: {command: fail, args: ["3"]}
  next: {command: ok, requires: [{a: COMPLETED}]}
  after-next: {command: ok, requires: [{next: COMPLETED}]}
  on-fail: {command: ok, requires: [{a: FAILED}]}
  either: {command: ok, requires: [{expression: "next = COMPLETED OR on-fail = COMPLETED"}]}
`);
  const done = await ended(w, v.rec.id);
  assert.equal(states(done), { a: 'FAILED', next: 'CANCELED', 'after-next': 'CANCELED', 'on-fail': 'COMPLETED', either: 'COMPLETED' });
  const next = done.jobs.find((j) => j.name === 'next')!;
  assert.is(next.failureReason, "requirement 'a: COMPLETED' can no longer be met: a is FAILED");
  assert.is(done.jobs.find((j) => j.name === 'after-next')!.failureReason, "requirement 'next: COMPLETED' can no longer be met: next is CANCELED");
  assert.is(done.rec.status, 'FAILED');
  assert.is(done.rec.message, "job 'a' failed: exited with code 3");
  assert.ok(!w.log.includes('start next'), 'a canceled job never starts');
  // The same workflow with a succeeding parent: the failure branch is a branch not taken, and it COMPLETED.
  const ok = await ended(w, run(w, 'jobs:\n  a: {command: ok}\n  on-fail: {command: ok, requires: [{a: FAILED}]}\n').rec.id);
  assert.equal([ok.rec.status, states(ok)], ['COMPLETED', { a: 'COMPLETED', 'on-fail': 'CANCELED' }]);
  w.off();
});

test('retries rerun a failing job as new attempts; allow_failure keeps the workflow COMPLETED', async () => {
  const w = world();
  await start(w);
  const v = run(w, `jobs:
  flaky: {command: flaky, args: ["3"], retries: {count: 3, backoff: 0s}}
  hopeless: {command: fail, args: ["1"], retries: 1, allow_failure: true}
  after: {command: ok, requires: [{flaky: COMPLETED}]}
`);
  const done = await ended(w, v.rec.id);
  const flaky = done.jobs.find((j) => j.name === 'flaky')!;
  assert.equal([flaky.status, flaky.attempts.length, new Set(flaky.attempts).size], ['COMPLETED', 3, 3]);
  assert.equal(flaky.attempts.map((id) => w.jobs.get(id).status), ['FAILED', 'FAILED', 'COMPLETED']);
  assert.equal(flaky.attempts.map((id) => w.jobs.get(id).attempt), [1, 2, 3]);
  const hopeless = done.jobs.find((j) => j.name === 'hopeless')!;
  assert.equal([hopeless.status, hopeless.attempts.length], ['FAILED', 2]);
  assert.equal([done.rec.status, states(done).after], ['COMPLETED', 'COMPLETED']);
  w.off();
});

test('on_failure: stop stops the running jobs and cancels the pending ones; the workflow FAILED', async () => {
  const w = world();
  await start(w);
  const v = run(w, `on_failure: stop
jobs:
  bad: {command: fail, args: ["2"]}
  slow: {command: hang}
  later: {command: ok, requires: [{slow: COMPLETED}]}
`);
  const done = await ended(w, v.rec.id);
  assert.equal(states(done), { bad: 'FAILED', slow: 'STOPPED', later: 'CANCELED' });
  assert.is(done.rec.status, 'FAILED');
  assert.is(done.rec.message, "job 'bad' failed: exited with code 2; the rest was stopped (on_failure: stop)");
  w.off();
});

test('stop: running STOPPED, pending CANCELED, the workflow STOPPED; before anything ran it is CANCELED', async () => {
  const w = world({ maxConcurrentJobs: 1 });
  await start(w);
  const v = run(w, 'jobs:\n  a: {command: hang}\n  b: {command: hang}\n  c: {command: ok, requires: [{a: COMPLETED}]}\n');
  while (w.live.size < 1) await new Promise((r) => setTimeout(r, 5));
  const stopped = await w.wf.stop(v.rec.id, 'tester');
  assert.equal([stopped.rec.status, states(stopped)], ['STOPPED', { a: 'STOPPED', b: 'CANCELED', c: 'CANCELED' }]);
  assert.is(stopped.rec.message, 'stopped by tester');
  assert.throws(() => w.wf.delete('abcd'), /workflow 'abcd' not found \(see 'rnx workflow list'\)/);
  assert.throws(() => w.wf.delete('zz'), /invalid workflow id 'zz': too short/);
  await assert.not.throws(async () => w.wf.stop(v.rec.id, 'x').catch(() => undefined));
  // Nothing ran yet: the slot is held by another workflow's job.
  const blocker = run(w, 'jobs:\n  hold: {command: hang}\n');
  while (w.live.size < 1) await new Promise((r) => setTimeout(r, 5));
  const waiting = run(w, 'jobs:\n  x: {command: ok}\n');
  const canceled = await w.wf.stop(waiting.rec.id, 'tester');
  assert.equal([canceled.rec.status, canceled.rec.message], ['CANCELED', 'stopped by tester before any job started']);
  await w.wf.stop(blocker.rec.id, 'tester');
  w.off();
});

test('a restart in the middle: finished jobs keep their state, the running one FAILED "daemon restarted", retried, then the rest runs', async () => {
  const a = world();
  await start(a);
  const v = run(a, `jobs:
  first: {command: ok}
  long: {command: hang, retries: 1, requires: [{first: COMPLETED}]}
  last: {command: ok, requires: [{long: FINISHED}]}
`);
  while (!a.log.includes('start long')) await new Promise((r) => setTimeout(r, 5));
  // The daemon dies: nothing of the old managers runs any more; a new daemon starts on the same state.
  a.off();
  a.timers.stop();
  const b = world({ stateDir: a.stateDir });
  await start(b);
  const longRow = () => b.wf.get(v.rec.id).jobs.find((j) => j.name === 'long')!;
  while (longRow().attempts.length < 2 || !b.log.includes('start long')) await new Promise((r) => setTimeout(r, 5));
  const firstAttempt = b.jobs.get(longRow().attempts[0]!);
  assert.equal([firstAttempt.status, firstAttempt.failureReason], ['FAILED', 'daemon restarted: the joblet daemon stopped while this job was running; the job was killed']);
  assert.is(b.wf.get(v.rec.id).jobs[0]!.status, 'COMPLETED', 'the finished job kept its state');
  // The retry runs now; end it, and the workflow carries on by its requirements.
  await b.jobs.stop(longRow().jobId, 'tester');
  const done = await ended(b, v.rec.id);
  assert.equal(states(done), { first: 'COMPLETED', long: 'STOPPED', last: 'COMPLETED' });
  assert.is(done.rec.status, 'FAILED', 'a job stopped by hand fails the workflow');
  b.off();
});

test('rerun --from-failed reuses the COMPLETED jobs and runs the rest in a new linked workflow; delete removes jobs and uploads', async () => {
  const w = world();
  await start(w);
  const v = run(w, `jobs:
  a: {command: ok, uploads: {files: [data.txt]}}
  b: {command: fail, args: ["1"], requires: [{a: COMPLETED}], uploads: {files: [data.txt]}}
  c: {command: ok, requires: [{b: COMPLETED}]}
`, { files: [{ path: 'data.txt', content: 'hello' }] });
  const first = await ended(w, v.rec.id);
  assert.equal(states(first), { a: 'COMPLETED', b: 'FAILED', c: 'CANCELED' });
  const staged = first.jobs[0]!.staged!.key;
  assert.is(fs.readFileSync(path.join(w.stateDir, 'staged', staged, 'work', 'data.txt'), 'utf8'), 'hello');
  const re = w.wf.rerun(v.rec.id, true, 'tester');
  assert.is(re.rec.rerunOf, v.rec.id);
  assert.equal(w.wf.get(v.rec.id).rec.reruns, [re.rec.id]);
  const a = re.jobs.find((j) => j.name === 'a')!;
  assert.equal([a.status, a.reusedFrom, a.jobId], ['COMPLETED', v.rec.id, first.jobs[0]!.jobId]);
  const second = await ended(w, re.rec.id);
  assert.equal(states(second), { a: 'COMPLETED', b: 'FAILED', c: 'CANCELED' });
  assert.equal(w.log.filter((l) => l === 'start a').length, 1, 'the reused job did not run again');
  const running = run(w, 'jobs:\n  h: {command: hang}\n');
  assert.throws(() => w.wf.rerun(running.rec.id, false, 'x'), /is (PENDING|RUNNING); rerun it once it has ended/);
  await w.wf.stop(running.rec.id, 'tester');
  const fine = await ended(w, run(w, 'jobs:\n  k: {command: ok}\n').rec.id);
  assert.throws(() => w.wf.rerun(fine.rec.id, true, 'x'), /every job of workflow .* completed: nothing to rerun with --from-failed/);
  // Deleting the first workflow keeps the uploads the rerun still refers to; deleting both removes them.
  const jobsOfFirst = first.jobs.flatMap((j) => j.attempts);
  assert.is(w.wf.delete(v.rec.id).deletedJobs, 3);
  for (const id of jobsOfFirst) assert.throws(() => w.jobs.get(id), /not found/);
  assert.ok(fs.existsSync(path.join(w.stateDir, 'staged', staged)), 'still used by the rerun');
  for (const x of w.wf.page({ limit: 100 })) if (isWorkflowDone(x.rec.status)) w.wf.delete(x.rec.id);
  assert.not.ok(fs.existsSync(path.join(w.stateDir, 'staged', staged)));
  w.off();
});

test('an invalid workflow creates nothing: no workflow, no job, no staged upload; problems name file, line and key', async () => {
  const w = world({ volumes: ['data'] });
  await start(w);
  const before = w.jobs.list().length;
  let err: unknown;
  try {
    run(w, `jobs:
  a: {command: ok, volumes: [data, nope], uploads: {files: [x.txt, missing.txt]}}
  b: {command: ok, requires: [{a: COMPLETED}], network: mars}
  c: {command: ok, requires: [{c: COMPLETED}], resources: {max_memory: 999999}}
`, { files: [{ path: 'x.txt', content: 'x' }] });
  } catch (e) {
    err = e;
  }
  assert.instance(err, WorkflowInvalidError);
  const msgs = (err as WorkflowInvalidError).problems.map((p) => `${p.line}: ${p.path}: ${p.message}`);
  const all = msgs.join('\n');
  assert.match(all, /^3: jobs\.a\.volumes\[1\]: volume 'nope' does not exist \(volumes: data\); create it with 'rnx volume create nope --size=1GB'$/m);
  assert.match(all, /^3: jobs\.a\.uploads\.files\[1\]: 'missing\.txt' was not sent with the workflow/m);
  assert.match(all, /^4: jobs\.b\.network: network 'mars' does not exist \(networks: none, bridge, isolated\)$/m);
  assert.match(all, /^5: jobs\.c\.requires: dependency cycle: c → c/m);
  assert.equal(w.jobs.list().length, before);
  assert.equal(w.wf.page({ limit: 10 }), []);
  assert.equal(fs.readdirSync(path.join(w.stateDir, 'staged')), []);
  // Limits beyond the server's ceilings name the YAML key, not a flag.
  assert.throws(() => run(w, 'jobs:\n  a: {command: ok, resources: {max_memory: 999999}}\n'), /w\.yaml:3: jobs\.a\.resources\.max_memory: 999999 is out of range; allowed on this server: 4-\d+ MB/);
  // A runtime is refused with the server's own words until the server has runtimes.
  assert.throws(() => run(w, 'jobs:\n  a: {command: ok, runtime: python-3.11}\n'), /jobs\.a\.runtime: this joblet server does not support runtime \(--runtime\) yet/);
  w.off();
});

test('a 100-job DAG runs every job after what it requires', async () => {
  const w = world({ maxConcurrentJobs: 8 });
  await start(w);
  const lines = ['jobs:'];
  const deps = new Map<string, string[]>();
  for (let i = 0; i < 100; i++) {
    const layer = Math.floor(i / 10);
    const need = layer === 0 ? [] : [`j${(layer - 1) * 10 + (i % 10)}`, `j${(layer - 1) * 10 + ((i * 7) % 10)}`];
    deps.set(`j${i}`, [...new Set(need)]);
    lines.push(`  j${i}: {command: ok${need.length ? `, requires: [${[...new Set(need)].map((d) => `{${d}: COMPLETED}`).join(', ')}]` : ''}}`);
  }
  const done = await ended(w, run(w, `${lines.join('\n')}\n`).rec.id, 60_000);
  assert.is(done.rec.status, 'COMPLETED');
  assert.is(done.jobs.length, 100);
  for (const [j, need] of deps) for (const d of need) assert.ok(w.log.indexOf(`end ${d}`) < w.log.indexOf(`start ${j}`), `${j} after ${d}`);
  assert.ok(w.maxLive <= 8);
  w.off();
});

test('a job added to a running workflow (RunJob workflowUuid) waits for its requirements; orphans are canceled at start', async () => {
  const w = world();
  await start(w);
  const v = run(w, 'jobs:\n  gate: {command: hang}\n');
  const req = { name: 'added', command: 'ok', args: [], maxCpu: 0, cpuCores: '', maxMemory: 0, maxIoBps: 0, uploads: [], schedule: '', network: 'none', volumes: [], runtime: '', workDir: '', environment: {}, workflowUuid: v.rec.id, jobUuid: '', requirements: [{ jobUuid: 'gate', status: 'COMPLETED', expression: '' }], secretEnvironment: {}, gpuCount: 0, gpuMemoryMb: 0, timeout: '', maxPids: 0, maxDiskBytes: '0', cron: '', cronTimezone: '', concurrency: '', scheduleName: '' };
  const job = w.wf.addJob(v.rec.id.slice(0, 8), req, 'tester');
  assert.equal([job.status, job.name, job.workflowId, job.dependencies], ['PENDING', 'added', v.rec.id, ['gate']]);
  assert.throws(() => w.wf.addJob(v.rec.id, req, 'tester'), /has a job named 'added' already/);
  assert.throws(() => w.wf.addJob(v.rec.id, { ...req, name: 'x', requirements: [{ jobUuid: 'ghost', status: 'COMPLETED', expression: '' }] }, 'tester'), /'ghost' is not a job of this workflow \(its jobs: gate, added\)/);
  while (w.live.size < 1) await new Promise((r) => setTimeout(r, 5));
  assert.is(w.jobs.get(job.id).status, 'PENDING', 'still waiting for gate');
  await w.jobs.stop(w.wf.get(v.rec.id).jobs[0]!.jobId, 'tester');
  const done = await ended(w, v.rec.id);
  assert.equal(states(done), { gate: 'STOPPED', added: 'CANCELED' });
  // A PENDING job whose workflow is gone (a crash in the middle of a delete) is canceled at the next start.
  const orphan = w.jobs.createPending({ command: 'ok', args: [], env: {}, workdir: '/work', limits: { cpuPercent: 0, cpuCores: '', memoryBytes: 1 << 26, ioBps: 0, pids: 64, diskBytes: 1 << 20, timeoutMs: 0 }, network: 'none', volumes: [] }, { name: 'o', workflowId: '00000000-0000-4000-8000-000000000000', attempt: 1, dependencies: [], requirements: [], uploads: [] }, 'tester');
  w.off();
  const b = world({ stateDir: w.stateDir });
  await start(b);
  assert.equal([b.jobs.get(orphan.id).status, b.jobs.get(orphan.id).failureReason], ['CANCELED', 'its workflow 00000000-0000-4000-8000-000000000000 is not running']);
  b.off();
});

test.run();
