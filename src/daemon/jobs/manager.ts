/**
 * The job manager: creates jobs, runs them in sandboxes, records how they end, stops and deletes
 * them, and recovers after a restart. The only writer of job records.
 *
 * Life cycle: prepare() reserves an id and a workspace (uploads are written into it) → launch()
 * stores the record (INITIALIZING), creates the cgroup and spawns the sandbox → RUNNING once the
 * command was exec'd → COMPLETED | FAILED | STOPPED when it exits, after every process of its
 * cgroup is gone and all its output is stored.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FailedPreconditionError, JobletError, NotFoundError, InvalidArgumentError, describeError } from '../../shared/errors';
import { checkIdPrefix, isJobId, newJobId } from '../../shared/ids';
import type { CgroupManager, JobCgroup } from '../../sandbox/cgroups/manager';
import type { JobSpec } from '../../sandbox/spec';
import type { SandboxProcess } from '../../sandbox/spawn';
import { JobStore } from '../../store/db';
import { isTerminal, type JobRecord } from '../../store/job-record';
import { LogStream, LogWriter, logSize, type LogFrame } from '../../store/log-file';
import { followLog, LogSignal } from './log-follow';
import { formatDuration, formatSize } from '../../shared/limits';
import type { RunJobRequest } from '../../gen/joblet';
import { exitOutcome, usageFrom, withOomCause, type StopCause } from './outcome';
import { buildJobSpec, type SpecSettings } from './sandbox-spec';
import { createWorkspace, removeWorkspace } from './workspace';
import { WorkspaceWriter } from './uploads';
import { validateRunRequest, type JobRequest, type ValidationContext } from './validate';

/** Settings the manager needs from the server config. */
export interface ManagerSettings extends SpecSettings {
  stateDir: string;
  stopGraceSeconds: number;
  maxLogBytes: number;
  /** How much of maxLogBytes keeps the beginning of the output (the rest keeps its end). */
  logHeadBytes?: number;
  maxConcurrentJobs: number;
  /** Limits policy and host capacity, for checking requests. */
  validation: ValidationContext;
}

/**
 * Something a job uses while it runs (a network attachment, volumes): acquired before the sandbox
 * is spawned, released after every process of the job is gone — also when the job fails to start.
 */
export interface JobResource {
  /** Name for error messages, e.g. "network". */
  readonly name: string;
  /** Check and complete what a validated request asks of this resource (e.g. the default network); throws to refuse before anything is created. */
  admit?(req: JobRequest): JobRequest;
  /** Prepare what `job` asked for; return changes to its sandbox spec and how to undo them. */
  acquire(job: JobRecord): Promise<{ spec?: Partial<JobSpec>; release(): Promise<void> }>;
}

/** What the manager needs from the outside world (tests substitute parts). */
export interface ManagerDeps {
  store: JobStore;
  cgroups: CgroupManager;
  /** Starts the sandbox; may wait for a start slot (the warm pool limits how many inits start at once). */
  spawn: (spec: JobSpec) => SandboxProcess | Promise<SandboxProcess>;
  log: (msg: string) => void;
  /** Acquired in order before each job starts, released in reverse order after it ends. */
  resources?: JobResource[];
}

/** A job being assembled (uploads arriving) but not yet launched. */
export interface PendingJob {
  id: string;
  workspace: WorkspaceWriter;
  uploads: string[];
}

/** A job whose processes exist. */
interface Live {
  proc?: SandboxProcess;
  cgroup?: JobCgroup;
  writer: LogWriter;
  signal: LogSignal;
  stop?: StopCause;
  timer?: NodeJS.Timeout;
  done: Promise<void>;
}

/** Owns every job of this daemon. */
export class JobManager {
  private readonly live = new Map<string, Live>();
  private readonly jobsDir: string;
  private readonly logsDir: string;
  private pendingCount = 0;

  constructor(
    private readonly s: ManagerSettings,
    private readonly deps: ManagerDeps,
  ) {
    this.jobsDir = path.join(s.stateDir, 'run');
    this.logsDir = path.join(s.stateDir, 'logs');
    fs.mkdirSync(this.jobsDir, { recursive: true, mode: 0o700 });
    fs.mkdirSync(this.logsDir, { recursive: true, mode: 0o700 });
  }

  /**
   * After a restart (graceful or not): no job may stay RUNNING, and nothing of an old job may
   * survive. Kills and removes every cgroup of ours, marks unfinished jobs FAILED with a reason,
   * and removes leftover workspaces.
   */
  async recover(): Promise<void> {
    for (const id of this.deps.cgroups.list()) {
      const cg = this.deps.cgroups.open(id);
      if (!cg) continue;
      await cg.killAll();
      await cg.destroy();
    }
    for (const job of this.deps.store.withStatus(['INITIALIZING', 'RUNNING'])) {
      this.deps.store.put({
        ...job,
        status: 'FAILED',
        endedAt: Date.now(),
        exitCode: -1,
        failureReason: 'the joblet daemon stopped while this job was running; the job was killed',
      });
      this.deps.log(`job ${job.id} was still ${job.status} at start-up: marked FAILED`);
    }
    for (const entry of fs.readdirSync(this.jobsDir)) this.removeJobDir(entry);
  }

  /** Check a RunJob request against this server's rules and limits. */
  check(req: RunJobRequest): JobRequest {
    let checked = validateRunRequest(req, this.s.validation);
    for (const r of this.deps.resources ?? []) if (r.admit) checked = r.admit(checked);
    return checked;
  }

  /** Reserve an id and a workspace (sized to the job's quota plus its uploads) for a new job. */
  prepare(req: JobRequest, uploadBytes: number, uploadEntries: number): PendingJob {
    if (this.live.size + this.pendingCount >= this.s.maxConcurrentJobs) {
      throw new JobletError('RESOURCE_EXHAUSTED', `this server already runs ${this.s.maxConcurrentJobs} jobs (jobs.maxConcurrentJobs); wait for some to finish`);
    }
    // The workspace is RAM (tmpfs) written by the daemon: uploads are bounded like any quota.
    const ceiling = this.s.validation.limits.maxDiskBytes;
    if (uploadBytes > ceiling) {
      throw new JobletError('RESOURCE_EXHAUSTED', `uploads total ${formatSize(uploadBytes)}; this server accepts at most ${formatSize(ceiling)} per job (limits.maxDiskBytes)`);
    }
    const id = newJobId();
    const dir = path.join(this.jobsDir, id);
    try {
      createWorkspace(dir, { diskBytes: req.limits.diskBytes, uploadBytes, uploadEntries }, this.s.uid, this.s.gid);
    } catch (err) {
      removeWorkspace(dir);
      throw new JobletError('INTERNAL', `cannot create the job's workspace: ${describeError(err)}`);
    }
    this.pendingCount++;
    return { id, workspace: new WorkspaceWriter(path.join(dir, 'work'), this.s.uid, this.s.gid), uploads: [] };
  }

  /** Give up a prepared job (a failed upload): its workspace goes. */
  abandon(p: PendingJob): void {
    this.pendingCount--;
    this.removeJobDir(p.id);
  }

  /** Store the job and start it. Returns the record as created (INITIALIZING). */
  launch(p: PendingJob, req: JobRequest, owner: string): JobRecord {
    this.pendingCount--;
    const job: JobRecord = { id: p.id, ...req, status: 'INITIALIZING', createdAt: Date.now(), uploads: p.uploads, owner, outputTruncated: false };
    this.deps.store.put(job);
    const signal = new LogSignal();
    const writer = new LogWriter(this.logFile(job.id), this.s.maxLogBytes, (pos) => signal.appended(pos), this.s.logHeadBytes);
    const live: Live = { writer, signal, done: Promise.resolve() };
    this.live.set(job.id, live);
    live.done = this.run(job, live).catch((err) => this.deps.log(`job ${job.id}: ${describeError(err)}`));
    return { ...job };
  }

  private async run(job: JobRecord, live: Live): Promise<void> {
    let result: Partial<JobRecord>;
    const releases: (() => Promise<void>)[] = [];
    try {
      live.cgroup = this.deps.cgroups.create(job.id);
      const dir = path.join(this.jobsDir, job.id);
      let spec = buildJobSpec(job, { root: path.join(dir, 'root'), work: path.join(dir, 'work') }, live.cgroup.procsFiles, this.s);
      for (const r of this.deps.resources ?? []) {
        const got = await r.acquire(job).catch((err) => {
          throw new JobletError('FAILED_PRECONDITION', `${r.name}: ${describeError(err)}`);
        });
        releases.push(got.release);
        spec = { ...spec, ...got.spec, binds: [...(spec.binds ?? []), ...(got.spec?.binds ?? [])] };
      }
      // A limit that was asked for and cannot be applied fails the job; it is never dropped.
      live.cgroup.setLimits({
        cpuPercent: job.limits.cpuPercent || undefined,
        cpuCores: job.limits.cpuCores || undefined,
        memoryBytes: job.limits.memoryBytes,
        pids: job.limits.pids,
        ioBps: job.limits.ioBps ? { bps: job.limits.ioBps, devices: blockDevices() } : undefined,
      });
      const proc = await this.deps.spawn(spec);
      live.proc = proc;
      // Stopped while it waited for a start slot: it must not run.
      if (live.stop) process.kill(proc.pid, 'SIGKILL');
      if (job.limits.timeoutMs) {
        live.timer = setTimeout(() => {
          void this.terminate(live, { reason: `timeout: the job ran longer than ${formatDuration(job.limits.timeoutMs)}`, status: 'FAILED' });
        }, job.limits.timeoutMs);
      }
      const drained = Promise.all([pump(proc.stdout, LogStream.Stdout, live.writer), pump(proc.stderr, LogStream.Stderr, live.writer)]);
      result = await this.awaitStart(job, live, proc);
      if (!result.status) {
        const exit = await proc.exited;
        result = exitOutcome(exit, live.stop);
      }
      // PID 1 is gone, so the kernel killed its namespace; the cgroup catches anything else.
      await live.cgroup.killAll();
      const usage = usageFrom(live.cgroup.stats());
      result = { ...withOomCause(result, usage, job.limits.memoryBytes), usage };
      await withTimeout(drained, 5000);
    } catch (err) {
      result = { status: 'FAILED', exitCode: 125, failureReason: `could not start the job: ${describeError(err)}` };
      clearTimeout(live.timer);
      live.writer.notice(`[joblet] ${result.failureReason}\n`);
      if (live.proc) await live.proc.exited.catch(() => undefined);
      await live.cgroup?.killAll().catch(() => undefined);
    }
    clearTimeout(live.timer);
    await live.cgroup?.destroy().catch((err) => this.deps.log(`job ${job.id}: cgroup clean-up: ${describeError(err)}`));
    for (const release of releases.reverse()) await release().catch((err) => this.deps.log(`job ${job.id}: release: ${describeError(err)}`));
    this.removeJobDir(job.id);
    if (live.writer.truncated) result.outputTruncated = true;
    live.writer.close();
    const current = this.deps.store.get(job.id) ?? job;
    this.deps.store.put({ ...current, ...result, endedAt: Date.now() });
    this.live.delete(job.id);
    live.signal.end();
  }

  /** Wait for exec; on success mark RUNNING. A setup failure returns the final result. */
  private async awaitStart(job: JobRecord, live: Live, proc: SandboxProcess): Promise<Partial<JobRecord>> {
    try {
      await proc.started;
    } catch (err) {
      const failure = (err as { failure?: { message: string; exitCode: number } }).failure;
      await proc.exited.catch(() => undefined);
      if (live.stop) return { status: live.stop.status, exitCode: 143, failureReason: live.stop.reason };
      const reason = failure?.message ?? describeError(err);
      // The job never ran: say why where the user looks first, in its output.
      live.writer.notice(`[joblet] ${reason}\n`);
      return { status: 'FAILED', exitCode: failure?.exitCode ?? 125, failureReason: reason };
    }
    const current = this.deps.store.get(job.id) ?? job;
    this.deps.store.put({ ...current, status: 'RUNNING', startedAt: Date.now() });
    return {};
  }

  /** Resolve a full id or a unique prefix of 4+ characters. */
  resolve(idOrPrefix: string): string {
    const prefix = checkIdPrefix(idOrPrefix);
    if (isJobId(prefix) && this.deps.store.get(prefix)) return prefix;
    const ids = this.deps.store.idsWithPrefix(prefix, 6);
    if (ids.length === 0) throw new NotFoundError(`job '${prefix}' not found (see 'rnx list')`);
    if (ids.length > 1) {
      throw new InvalidArgumentError(`job id '${prefix}' is ambiguous: it matches ${ids.length > 5 ? 'more than 5' : ids.length} jobs (${ids.slice(0, 5).map((i) => i.slice(0, 13)).join(', ')}…); give more characters`);
    }
    return ids[0]!;
  }

  /** One job by id or prefix; a running job carries its usage so far. */
  get(idOrPrefix: string): JobRecord {
    const id = this.resolve(idOrPrefix);
    const job = this.deps.store.get(id)!;
    const cg = this.live.get(id)?.cgroup;
    if (!cg) return job;
    try {
      return { ...job, usage: usageFrom(cg.stats()) };
    } catch {
      return job; // the cgroup is going away as the job ends
    }
  }

  /** Every job, oldest first. */
  list(): JobRecord[] {
    return this.deps.store.list();
  }

  /** Stop a running job: SIGTERM to all its processes, the grace period, then SIGKILL to all. */
  async stop(idOrPrefix: string, by: string): Promise<JobRecord> {
    const job = this.get(idOrPrefix);
    const live = this.live.get(job.id);
    if (!live || isTerminal(job.status)) throw new FailedPreconditionError(`job ${job.id} is not running (status ${job.status})`);
    await this.terminate(live, { reason: `stopped by ${by}`, status: 'STOPPED' });
    return this.deps.store.get(job.id)!;
  }

  private async terminate(live: Live, cause: StopCause): Promise<void> {
    live.stop ??= cause;
    const exited = live.proc ? live.proc.exited.then(() => true) : Promise.resolve(true);
    live.cgroup?.signalAll('SIGTERM');
    const inTime = await Promise.race([exited, sleep(this.s.stopGraceSeconds * 1000).then(() => false)]);
    if (!inTime) await live.cgroup?.killAll();
    if (live.proc && !(await Promise.race([exited, sleep(2000).then(() => false)]))) {
      // The cgroup may not hold it yet (still in setup): kill the process itself.
      try {
        process.kill(live.proc.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    await live.done;
  }

  /** Delete a finished job and its output. */
  delete(idOrPrefix: string): string {
    const job = this.get(idOrPrefix);
    if (!isTerminal(job.status) || this.live.has(job.id)) {
      throw new FailedPreconditionError(`job ${job.id} is ${job.status}; stop it first ('rnx stop ${job.id.slice(0, 8)}') or wait for it to finish`);
    }
    this.deps.store.delete(job.id);
    fs.rmSync(this.logFile(job.id), { force: true });
    return job.id;
  }

  /** Delete every finished job; running ones are skipped and counted. */
  deleteAll(): { deleted: number; skipped: number } {
    let deleted = 0;
    let skipped = 0;
    for (const job of this.list()) {
      if (!isTerminal(job.status) || this.live.has(job.id)) skipped++;
      else {
        this.delete(job.id);
        deleted++;
      }
    }
    return { deleted, skipped };
  }

  /** Everything the job printed, then live output until it ends (unless noFollow). */
  logs(idOrPrefix: string, noFollow: boolean, abort: AbortSignal): AsyncGenerator<LogFrame> {
    const job = this.get(idOrPrefix);
    const file = this.logFile(job.id);
    const live = noFollow ? undefined : this.live.get(job.id)?.signal;
    return followLog(file, () => logSize(file), live, abort);
  }

  /** Stop every running job (daemon shutdown). */
  async shutdown(): Promise<void> {
    await Promise.all([...this.live.values()].map((l) => this.terminate(l, { reason: 'stopped because the joblet daemon shut down', status: 'STOPPED' })));
  }

  private logFile(id: string): string {
    return path.join(this.logsDir, `${id}.log`);
  }

  private removeJobDir(id: string): void {
    // Only names we create ourselves; never follow anything else.
    if (!isJobId(id)) return;
    removeWorkspace(path.join(this.jobsDir, id));
  }
}


/** Whole-disk block devices ("major:minor") that --max-iobps throttles: every real disk and active loop device. */
function blockDevices(): string[] {
  const out: string[] = [];
  for (const name of fs.readdirSync('/sys/block')) {
    if (/^(ram|zram)/.test(name)) continue;
    try {
      if (Number(fs.readFileSync(`/sys/block/${name}/size`, 'utf8')) === 0) continue; // detached loop devices
      out.push(fs.readFileSync(`/sys/block/${name}/dev`, 'utf8').trim());
    } catch {
      /* vanished meanwhile */
    }
  }
  return out;
}

/** Copy a job's output stream into its log, pausing while the log asks (a live follower catching up). */
function pump(stream: NodeJS.ReadableStream, which: LogStream.Stdout | LogStream.Stderr, writer: LogWriter): Promise<void> {
  return new Promise((resolve) => {
    stream.on('data', (chunk: Buffer) => {
      const room = writer.write(which, chunk);
      if (room !== true) {
        stream.pause();
        void room.then(() => stream.resume());
      }
    });
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', () => resolve());
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}

async function withTimeout(p: Promise<unknown>, ms: number): Promise<void> {
  await Promise.race([p, sleep(ms)]);
}
