/**
 * The JobManager with fake dependencies (ManagerDeps): stops during setup, finalisation under
 * injected faults, unkillable processes, prompt stop, and 500 submissions with random failures
 * that must leave no job live and no slot taken.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { JobletError } from '../../src/shared/errors';
import { isTerminal } from '../../src/shared/job-status';
import type { CgroupManager, JobCgroup } from '../../src/sandbox/cgroups/manager';
import type { JobSpec } from '../../src/sandbox/spec';
import type { SandboxProcess } from '../../src/sandbox/spawn';
import { Database, JobStore } from '../../src/store/db';
import type { JobRecord } from '../../src/store/job-record';
import { LogWriter } from '../../src/store/log-file';
import { JobManager, type JobResource, type ManagerDeps, type ManagerSettings } from '../../src/daemon/jobs/manager';
import type { JobRequest } from '../../src/daemon/jobs/validate';

// A pid that does not exist: kill() fallbacks in the manager must hit nothing.
const NO_PID = 2 ** 22 - 1;
assert.not.ok(fs.existsSync(`/proc/${NO_PID}`));

let unhandled = 0;
process.on('unhandledRejection', () => unhandled++);

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'joblet-manager-'));
// The manager's own timers are unref'd (a daemon's listener keeps it alive); so is nothing here.
const keepAlive = setInterval(() => undefined, 1000);
test.after(() => {
  clearInterval(keepAlive);
  fs.rmSync(root, { recursive: true, force: true });
});

/** A JobStore whose writes fail on demand. */
class FlakyStore extends JobStore {
  failPut: (job: JobRecord) => boolean = () => false;
  override put(job: JobRecord): void {
    if (this.failPut(job)) throw new Error('SQLITE_FULL: database or disk is full');
    super.put(job);
  }
}

/** A process the test drives: start(), fail(), exit(). */
class FakeProc {
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  private resolveStart!: () => void;
  private rejectStart!: (e: unknown) => void;
  private resolveExit!: (v: { code: number | null; signal: NodeJS.Signals | null }) => void;
  readonly started = new Promise<void>((res, rej) => {
    this.resolveStart = res;
    this.rejectStart = rej;
  });
  readonly exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => (this.resolveExit = res));
  done = false;
  constructor() {
    this.started.catch(() => undefined);
  }
  get proc(): SandboxProcess {
    return { pid: NO_PID, stdout: this.stdout, stderr: this.stderr, started: this.started, exited: this.exited };
  }
  start(): void {
    this.resolveStart();
  }
  fail(message: string): void {
    this.rejectStart(Object.assign(new Error(message), { failure: { message, exitCode: 127 } }));
    this.exit(127, null);
  }
  exit(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.done) return;
    this.done = true;
    // Like the real one: the status pipe closes without an exec (a no-op once started).
    this.rejectStart(new Error('the sandbox init stage ended before starting the command'));
    this.stdout.end();
    this.stderr.end();
    this.resolveExit({ code, signal });
  }
}

/** A cgroup whose kill ends the fake process (or hangs, or fails). */
class FakeCgroup implements JobCgroup {
  readonly procsFiles: string[] = [];
  signals: string[] = [];
  kills = 0;
  proc?: FakeProc;
  killMode: 'ok' | 'hang' | 'dstate' = 'ok';
  destroyFails = false;
  onTerm?: () => void;
  setLimits(): void {}
  pids(): number[] {
    return [];
  }
  stats() {
    return { cpuUsageUsec: 1000, memoryPeakBytes: 4096, oomKills: 0 };
  }
  killAll(): Promise<void> {
    this.kills++;
    if (this.killMode === 'hang') return new Promise(() => undefined);
    if (this.killMode === 'dstate') return Promise.reject(new JobletError('INTERNAL', 'cgroup still has processes [42] after cgroup.kill; a task stuck in uninterruptible sleep (D state) cannot die'));
    this.proc?.exit(null, 'SIGKILL');
    return Promise.resolve();
  }
  signalAll(sig: NodeJS.Signals): void {
    this.signals.push(sig);
    if (sig === 'SIGTERM') this.onTerm?.();
  }
  async destroy(): Promise<void> {
    if (this.destroyFails) throw new Error('rmdir: EBUSY');
  }
}

interface World {
  m: JobManager;
  store: FlakyStore;
  logs: string[];
  cgroups: Map<string, FakeCgroup>;
  procs: FakeProc[];
  spawned: number;
  deps: ManagerDeps;
  db: Database;
}

/** A manager over fakes; `tweak` adjusts deps before construction. */
function world(tweak: (deps: ManagerDeps, w: World) => void = () => undefined, settings: Partial<ManagerSettings> = {}): World {
  const stateDir = fs.mkdtempSync(path.join(root, 'state-'));
  const db = new Database(stateDir);
  const store = new FlakyStore(db);
  const w = { store, logs: [] as string[], cgroups: new Map<string, FakeCgroup>(), procs: [] as FakeProc[], spawned: 0, db } as World;
  const cgroups: CgroupManager = {
    kind: 'v2',
    create: (id) => {
      const cg = new FakeCgroup();
      w.cgroups.set(id, cg);
      return cg;
    },
    open: () => undefined,
    list: () => [],
    dispose: () => undefined,
  };
  w.deps = {
    store,
    cgroups,
    log: (msg) => w.logs.push(msg),
    spawn: (spec) => {
      w.spawned++;
      const p = new FakeProc();
      w.procs.push(p);
      w.cgroups.get(spec.jobId)!.proc = p;
      return p.proc;
    },
    workspaces: {
      create: (dir) => {
        fs.mkdirSync(path.join(dir, 'root'), { recursive: true });
        fs.mkdirSync(path.join(dir, 'work'), { recursive: true });
      },
      remove: (dir) => fs.rmSync(dir, { recursive: true, force: true }),
    },
    catchesSigterm: () => false,
  };
  tweak(w.deps, w);
  const s: ManagerSettings = {
    stateDir,
    stopGraceSeconds: 30,
    maxLogBytes: 1 << 20,
    maxConcurrentJobs: 10_000,
    validation: { limits: { maxDiskBytes: 1 << 30 }, host: {} } as never,
    uid: 65534,
    gid: 65534,
    userName: 'job',
    tmpSizeMB: 16,
    nofile: 1024,
    killTimeoutMs: 300,
    ...settings,
  };
  w.m = new JobManager(s, w.deps);
  return w;
}

const REQ: JobRequest = { command: 'true', args: [], env: {}, workdir: '/work', limits: { cpuPercent: 0, cpuCores: '', memoryBytes: 64 << 20, ioBps: 0, pids: 64, diskBytes: 1 << 20, timeoutMs: 0 }, network: '', volumes: [], runtime: '' };

function submit(w: World, req: JobRequest = REQ): JobRecord {
  return w.m.launch(w.m.prepare(req, 0, 0), req, 'tester');
}

async function settled(w: World, id: string): Promise<JobRecord> {
  return w.m.lifecycle.settled(id);
}

const tick = () => new Promise((r) => setTimeout(r, 5));
async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await tick();
  }
}

/** A resource whose acquire waits until released by the test; counts releases. */
function slowResource(): JobResource & { finish(): void; released: number } {
  let finish!: () => void;
  const gate = new Promise<void>((r) => (finish = r));
  const r = {
    name: 'network',
    released: 0,
    finish: () => finish(),
    acquire: async () => {
      await gate;
      return { release: async () => void r.released++ };
    },
  };
  return r;
}

test('a stop during setup cancels the launch: nothing is spawned, STOPPED within 1 s, a late acquire is released', async () => {
  const slow = slowResource();
  const w = world((d) => (d.resources = [slow]));
  const job = submit(w);
  await tick();
  const t0 = Date.now();
  const stopped = await w.m.stop(job.id, 'tester');
  assert.ok(Date.now() - t0 < 1000, `stop took ${Date.now() - t0} ms`);
  assert.is(stopped.status, 'STOPPED');
  assert.is(stopped.failureReason, 'stopped by tester');
  assert.equal(stopped.history!.map((h) => h.status), ['INITIALIZING', 'STOPPING', 'STOPPED']);
  assert.is(w.spawned, 0);
  assert.is(w.m.activeCount, 0);
  slow.finish();
  await until(() => slow.released === 1);
  w.db.close();
});

test('a runtime reaches the job through its resource: admitted by name, stored as NAME@VERSION, its spec and environment applied, released at the end', async () => {
  const seen: string[] = [];
  let released = 0;
  let spec: JobSpec | undefined;
  const runtime: JobResource = {
    name: 'runtime',
    admit: (req) => (req.runtime ? { ...req, runtime: `${req.runtime}@1.0.0` } : req),
    acquire: async (job) => {
      seen.push(job.runtime ?? '');
      if (!job.runtime) return { release: async () => undefined };
      return { spec: { readOnlyBinds: [], runtime: { rootfs: '/rt/rootfs' }, env: { PATH: '/usr/bin', RT: job.runtime } }, release: async () => void released++ };
    },
  };
  const w = world((d) => {
    d.resources = [runtime];
    const spawn = d.spawn;
    d.spawn = (sp) => {
      spec = sp;
      return spawn(sp);
    };
  });
  const req = runtime.admit!({ ...REQ, runtime: 'python-3.11' });
  const job = submit(w, req);
  assert.is(job.runtime, 'python-3.11@1.0.0');
  await until(() => w.spawned === 1);
  assert.equal(spec!.runtime, { rootfs: '/rt/rootfs' });
  assert.equal(spec!.readOnlyBinds, [], "nothing of the host's /usr");
  assert.is(spec!.env.RT, 'python-3.11@1.0.0');
  w.procs[0]!.start();
  w.procs[0]!.exit(0, null);
  const done = await settled(w, job.id);
  assert.is(done.status, 'COMPLETED');
  assert.is(w.store.get(job.id)!.runtime, 'python-3.11@1.0.0', 'stored with the job');
  assert.is(released, 1);
  const plain = submit(w);
  assert.is(plain.runtime, undefined, 'no runtime: none stored');
  await until(() => w.spawned === 2);
  w.procs[1]!.start();
  w.procs[1]!.exit(0, null);
  await settled(w, plain.id);
  assert.equal(seen, ['python-3.11@1.0.0', '']);
  w.db.close();
});

test('a daemon shutdown during setup cancels the launch too', async () => {
  const slow = slowResource();
  const w = world((d) => (d.resources = [slow]));
  const job = submit(w);
  await tick();
  await w.m.shutdown();
  const j = w.m.lifecycle.get(job.id)!;
  assert.is(j.status, 'STOPPED');
  assert.is(j.failureReason, 'stopped because the joblet daemon shut down');
  assert.is(w.spawned, 0);
  slow.finish();
  await until(() => slow.released === 1);
  w.db.close();
});

test('a submission prepared before a shutdown and launched after it is refused, its workspace gone; new ones are refused', async () => {
  const made: string[] = [];
  const w = world((d) => {
    const create = d.workspaces!.create;
    d.workspaces!.create = (dir, ...rest) => {
      made.push(dir);
      return create(dir, ...rest);
    };
  });
  const p = w.m.prepare(REQ, 0, 0);
  const dir = made[0]!;
  assert.ok(dir.endsWith(p.id) && fs.existsSync(dir), 'the workspace was made');
  await w.m.shutdown();
  try {
    w.m.launch(p, REQ, 'tester');
    assert.unreachable('launch after shutdown must be refused');
  } catch (err) {
    assert.instance(err, JobletError);
    assert.is((err as JobletError).code, 'UNAVAILABLE');
    assert.match((err as Error).message, /the daemon is shutting down/);
  }
  assert.not.ok(fs.existsSync(dir), 'its workspace is removed');
  assert.is(w.spawned, 0);
  assert.is(w.m.activeCount, 0);
  assert.throws(() => w.m.prepare(REQ, 0, 0), /the daemon is shutting down/);
  w.db.close();
});

test('finalisation always completes: failing clean-ups and a full store still end the job, its followers and its slot', async () => {
  const w = world((d, w2) => {
    d.resources = [{ name: 'volumes', acquire: async () => ({ release: async () => Promise.reject(new Error('umount: EBUSY')) }) }];
    d.workspaces = { create: (dir) => fs.mkdirSync(path.join(dir, 'work'), { recursive: true }), remove: () => { throw new Error('rm: EIO'); } };
    d.openLog = (file, cap, on) => {
      const lw = new LogWriter(file, cap, on);
      const close = lw.closeAsync.bind(lw);
      lw.closeAsync = async () => {
        await close();
        throw new Error('fsync: EIO');
      };
      return lw;
    };
    w2.store.failPut = (j) => isTerminal(j.status);
  });
  const job = submit(w);
  await until(() => w.procs.length === 1);
  w.cgroups.get(job.id)!.destroyFails = true;
  const follow = (async () => {
    const frames: string[] = [];
    for await (const f of w.m.logs(job.id, false, new AbortController().signal)) frames.push(f.payload.toString());
    return frames.join('');
  })();
  w.procs[0]!.start();
  w.procs[0]!.stdout.write('hello\n');
  await tick();
  w.procs[0]!.exit(0, null);
  const j = await settled(w, job.id);
  assert.is(j.status, 'COMPLETED');
  assert.is(await follow, 'hello\n', 'the follower ended with all output');
  assert.is(w.m.activeCount, 0);
  assert.is(w.m.get(job.id).status, 'COMPLETED', 'readers see the state the store refused');
  const all = w.logs.join('\n');
  for (const e of ['cgroup clean-up: rmdir: EBUSY', 'release: umount: EBUSY', 'workspace clean-up: rm: EIO', 'closing the log: fsync: EIO', 'cannot write its record (COMPLETED) to the store: SQLITE_FULL']) {
    assert.ok(all.includes(e), `not logged: ${e}\n${all}`);
  }
  w.store.failPut = () => false;
  assert.is(w.m.lifecycle.flush(), 0);
  assert.is(w.store.get(job.id)!.status, 'COMPLETED');
  w.db.close();
});

test('a kill that never finishes, or fails (D state), fails the job with "could not be killed" instead of hanging', async () => {
  for (const mode of ['hang', 'dstate'] as const) {
    const w = world();
    const job = submit(w);
    await until(() => w.procs.length === 1);
    const cg = w.cgroups.get(job.id)!;
    cg.killMode = mode;
    w.procs[0]!.start();
    await until(() => w.m.lifecycle.get(job.id)!.status === 'RUNNING');
    w.procs[0]!.exit(0, null);
    const j = await settled(w, job.id);
    assert.is(j.status, 'FAILED', mode);
    assert.match(j.failureReason!, mode === 'hang' ? /^could not be killed: no answer in 0\.3 s$/ : /^could not be killed: .*D state/);
    assert.is(w.m.activeCount, 0);
    w.db.close();
  }
});

test('prompt stop: PID 1 without a SIGTERM handler is killed at once; one with a handler gets its grace', async () => {
  const w = world();
  const job = submit(w);
  await until(() => w.procs.length === 1);
  w.procs[0]!.start();
  await until(() => w.m.lifecycle.get(job.id)!.status === 'RUNNING');
  const t0 = Date.now();
  const j = await w.m.stop(job.id, 'tester');
  assert.ok(Date.now() - t0 < 1000, `took ${Date.now() - t0} ms with a 30 s grace`);
  assert.is(j.status, 'STOPPED');
  assert.is(j.signal, 'SIGKILL');
  assert.equal(w.cgroups.get(job.id)!.signals, ['SIGTERM']);
  w.db.close();

  const w2 = world((d) => (d.catchesSigterm = () => true));
  const job2 = submit(w2);
  await until(() => w2.procs.length === 1);
  const cg = w2.cgroups.get(job2.id)!;
  cg.onTerm = () => setTimeout(() => w2.procs[0]!.exit(0, null), 200);
  w2.procs[0]!.start();
  await until(() => w2.m.lifecycle.get(job2.id)!.status === 'RUNNING');
  const stopping = w2.m.stop(job2.id, 'tester');
  await tick();
  assert.is(w2.m.get(job2.id).status, 'STOPPING', 'STOPPING is visible during the grace');
  const j2 = await stopping;
  assert.is(j2.status, 'STOPPED');
  assert.is(j2.exitCode, 0, 'it exited on its own within the grace');
  w2.db.close();
});

test('a stop before exec does not wait the grace, even though the init stage handles SIGTERM', async () => {
  const w = world((d) => (d.catchesSigterm = () => true));
  const job = submit(w);
  await until(() => w.procs.length === 1);
  const t0 = Date.now();
  const j = await w.m.stop(job.id, 'tester');
  assert.ok(Date.now() - t0 < 1000, `took ${Date.now() - t0} ms with a 30 s grace`);
  assert.is(j.status, 'STOPPED');
  assert.equal(j.history!.map((h) => h.status), ['INITIALIZING', 'STOPPING', 'STOPPED']);
  w.db.close();
});

test('500 submissions with injected failures: every job ends, the running count comes back to 0', async () => {
  let n = 0;
  const rnd = () => ((n = (n * 1103515245 + 12345) % 2147483648) / 2147483648);
  const w = world((d, w2) => {
    const spawn = d.spawn;
    d.spawn = (spec) => {
      if (rnd() < 0.1) throw new JobletError('INTERNAL', 'clone: EAGAIN');
      const p = spawn(spec);
      const fake = w2.procs.at(-1)!;
      const r = rnd();
      setTimeout(() => {
        if (r < 0.1) fake.fail("command 'x' not found in PATH");
        else {
          fake.start();
          setTimeout(() => fake.exit(r < 0.5 ? 0 : 3, null), Math.floor(rnd() * 10));
        }
      }, Math.floor(rnd() * 5));
      return p;
    };
    d.resources = [{ name: 'network', acquire: async () => { if (rnd() < 0.1) throw new Error('no free address'); return { release: async () => undefined }; } }];
    w2.store.failPut = (j) => isTerminal(j.status) && rnd() < 0.05;
  });
  const ids: string[] = [];
  for (let i = 0; i < 500; i++) {
    try {
      ids.push(submit(w).id);
    } catch (err) {
      assert.unreachable(`submission ${i} refused: ${String(err)}`);
    }
    if (i % 50 === 0) await tick();
  }
  // Stop some while they run or set up.
  await Promise.all(ids.filter((_, i) => i % 7 === 0).map((id) => w.m.stop(id, 'tester').catch(() => undefined)));
  await Promise.all(ids.map((id) => settled(w, id)));
  assert.is(w.m.activeCount, 0);
  for (const id of ids) assert.ok(isTerminal(w.m.get(id).status), `${id} is ${w.m.get(id).status}`);
  w.store.failPut = () => false;
  assert.is(w.m.lifecycle.flush(), 0);
  assert.is(unhandled, 0, 'a promise rejection went unhandled');
  w.db.close();
});

test('no output is ever written to a closed log, and a failing disk never throws into a stream handler', () => {
  const file = path.join(root, 'closed.log');
  const lw = new LogWriter(file, 1 << 20, () => undefined);
  lw.write(1, Buffer.from('before\n'));
  lw.close();
  const size = fs.statSync(file).size;
  lw.write(1, Buffer.from('after\n'));
  lw.notice('late notice\n');
  lw.close();
  assert.is(fs.statSync(file).size, size);
  const full = new LogWriter('/dev/full', 1 << 20, () => undefined);
  full.write(1, Buffer.from('x'));
  assert.match(String(full.failed), /ENOSPC/);
  full.write(2, Buffer.from('y'));
  // close() releases the fd without writing more (the runner logs `failed`); a second close is a no-op.
  full.close();
  full.close();
  assert.match(String(full.failed), /ENOSPC/);
});

test.run();
