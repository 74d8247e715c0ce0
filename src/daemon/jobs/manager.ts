/**
 * The job manager: creates jobs (at once or at a scheduled time), runs them in sandboxes, stops,
 * cancels and deletes them, and recovers after a restart. Every state change goes through the
 * lifecycle (lifecycle.ts); a job's run is runner.ts.
 *
 * Submission: prepare() reserves an id and a place for uploads — the job's RAM workspace, or for
 * a job that starts later a staging directory on disk (staging.ts) — then launch() creates the job
 * INITIALIZING and runs it, or SCHEDULED with a timer. A schedule (schedule/manager.ts) starts
 * jobs through startFromSchedule(). A workflow (workflows/manager.ts) creates its jobs PENDING
 * with createPending() and starts or cancels each when its requirements say so.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FailedPreconditionError, JobletError, UnimplementedError, describeError } from '../../shared/errors';
import { isJobId, newJobId } from '../../shared/ids';
import { isTerminal } from '../../shared/job-status';
import { formatSize } from '../../shared/limits';
import { LogWriter, logSize, type LogFrame } from '../../store/log-file';
import type { JobRecord } from '../../store/job-record';
import type { JobCgroup } from '../../sandbox/cgroups/manager';
import type { JobTarget } from '../../store/schedule-record';
import type { RunJobRequest } from '../../gen/joblet';
import { TimerQueue } from '../schedule/timers';
import type { JobQuery, ManagerDeps, ManagerSettings, PendingJob, PendingMeta, WorkspaceOps } from './deps';
import { JobLifecycle } from './lifecycle';
import { followLog, LogSignal } from './log-follow';
import { usageFrom, type StopCause } from './outcome';
import { runJob, KILL_TIMEOUT_MS, type LiveJob, type RunContext } from './runner';
import { recoverJobs, resumeScheduled, sweepRetention } from './recovery';
import { resolveJobId } from './resolve';
import { createStaged, listStaged, removeStaged } from './staging';
import { catchesSigterm, terminateLive } from './terminate';
import { WorkspaceWriter } from './uploads';
import { validateRunRequest, type JobRequest } from './validate';
import { createWorkspace, removeWorkspace } from './workspace';

export type { JobQuery, JobResource, ManagerDeps, ManagerSettings, PendingJob, PendingMeta, WorkspaceOps } from './deps';

const RETENTION_EVERY_MS = 60_000;

/** Owns every job of this daemon. */
export class JobManager {
  /** The state machine: subscribe to it for state changes (monitoring, schedules, consoles). */
  readonly lifecycle: JobLifecycle;
  private readonly live = new Map<string, LiveJob>();
  private readonly jobsDir: string;
  private readonly logsDir: string;
  private readonly timers: TimerQueue;
  private readonly workspaces: WorkspaceOps;
  private readonly now: () => number;
  private readonly ctx: RunContext;
  private pendingCount = 0;
  private closing = false;
  private retentionTimer?: NodeJS.Timeout;
  private sweepSoon?: NodeJS.Timeout;

  constructor(
    readonly s: ManagerSettings,
    private readonly deps: ManagerDeps,
  ) {
    this.now = deps.now ?? Date.now;
    this.lifecycle = new JobLifecycle(deps.store, deps.log, this.now);
    this.timers = deps.timers ?? new TimerQueue(deps.log, this.now);
    this.workspaces = deps.workspaces ?? { create: createWorkspace, remove: removeWorkspace };
    this.jobsDir = path.join(s.stateDir, 'run');
    this.logsDir = path.join(s.stateDir, 'logs');
    for (const d of [this.jobsDir, this.logsDir, path.join(s.stateDir, 'staged')]) fs.mkdirSync(d, { recursive: true, mode: 0o700 });
    this.ctx = {
      s,
      deps,
      lifecycle: this.lifecycle,
      workspaces: this.workspaces,
      jobDir: (id) => path.join(this.jobsDir, id),
      finished: (live) => this.live.delete(live.id),
      terminate: (live, cause) => this.terminate(live, cause),
    };
  }

  /**
   * After a restart (graceful or not): no job may stay live, and nothing of an old job may
   * survive. Kills and removes every cgroup of ours, marks unfinished jobs FAILED with a reason,
   * and removes leftover workspaces. Scheduled jobs wait for start().
   */
  async recover(): Promise<void> {
    await recoverJobs(this.deps, this.lifecycle);
    for (const entry of fs.readdirSync(this.jobsDir)) this.removeJobDir(entry);
  }

  /**
   * Arm the timers of scheduled jobs (call once networks and volumes are up). One whose time
   * passed while the daemon was down runs now if it is late by at most the misfire grace, else
   * fails as missed. Also starts the retention sweep.
   */
  start(): void {
    resumeScheduled(this.lifecycle, this.deps.store, (this.s.misfireGraceSeconds ?? 3600) * 1000, this.now(), (id, at) => this.arm(id, at), this.deps.log);
    for (const j of this.lifecycle.overlay(this.deps.store.withStatus(['FAILED']))) {
      if (j.staged?.key === j.id) removeStaged(this.s.stateDir, j.id);
    }
    this.sweep();
    this.retentionTimer = setInterval(() => this.sweep(), RETENTION_EVERY_MS).unref();
    // A job that ends may push an old one past `retention.keep`: sweep soon after (at most once a second).
    this.lifecycle.subscribe((c) => {
      if (!isTerminal(c.to) || this.sweepSoon || this.closing) return;
      this.sweepSoon = setTimeout(() => {
        this.sweepSoon = undefined;
        this.sweep();
      }, 1000).unref();
    });
  }

  /** Remove staging directories nobody refers to (an upload cut by a crash); `keep` are schedule ids. */
  pruneStaged(keep: Set<string>): void {
    const scheduled = new Set(this.deps.store.withStatus(['SCHEDULED']).map((j) => j.id));
    for (const key of listStaged(this.s.stateDir)) if (!keep.has(key) && !scheduled.has(key)) removeStaged(this.s.stateDir, key);
  }

  /** Check a RunJob request against this server's rules and limits. */
  check(req: RunJobRequest): JobRequest {
    let checked = validateRunRequest(req, this.s.validation, new Date(this.now()));
    const resources = this.deps.resources ?? [];
    // Without the runtime resource nothing would mount it: the job would silently get the host's /usr.
    if (checked.runtime && !resources.some((r) => r.name === 'runtime')) {
      throw new UnimplementedError('this joblet server does not support runtime (--runtime) yet; remove it and try again');
    }
    for (const r of resources) if (r.admit) checked = r.admit(checked);
    return checked;
  }

  /** Jobs being set up, running or stopping, plus submissions receiving uploads. */
  get activeCount(): number {
    return this.live.size + this.pendingCount;
  }

  /** How many more jobs may start now (jobs.maxConcurrentJobs less the active ones); 0 while shutting down. */
  get freeSlots(): number {
    return this.closing ? 0 : Math.max(0, this.s.maxConcurrentJobs - this.activeCount);
  }

  /**
   * Store a job that waits, PENDING, until its workflow starts it (startPending) or ends it
   * (endPending). Its uploads, if any, wait in a staging directory that its workflow owns.
   */
  createPending(req: JobRequest, meta: PendingMeta, owner: string): JobRecord {
    if (meta.id !== undefined && (!isJobId(meta.id) || this.lifecycle.get(meta.id))) {
      throw new JobletError(isJobId(meta.id) ? 'ALREADY_EXISTS' : 'INVALID_ARGUMENT', isJobId(meta.id) ? `a job with id ${meta.id} exists already` : `job id '${meta.id}' must be a new lowercase UUIDv4`);
    }
    const base = this.record(meta.id ?? newJobId(), req, owner, meta.uploads);
    return this.lifecycle.create({
      ...base,
      status: 'PENDING',
      staged: meta.staged,
      name: meta.name,
      workflowId: meta.workflowId,
      attempt: meta.attempt,
      dependencies: meta.dependencies,
      requirements: meta.requirements,
      secretEnv: meta.secretEnv && Object.keys(meta.secretEnv).length ? meta.secretEnv : undefined,
    });
  }

  /** Start a PENDING job now. Throws RESOURCE_EXHAUSTED when every slot is taken (it stays PENDING). */
  startPending(id: string): JobRecord {
    if (this.closing) throw new JobletError('UNAVAILABLE', 'the daemon is shutting down');
    if (this.activeCount >= this.s.maxConcurrentJobs) {
      throw new JobletError('RESOURCE_EXHAUSTED', `this server already runs ${this.s.maxConcurrentJobs} jobs (jobs.maxConcurrentJobs)`);
    }
    const job = this.lifecycle.get(id);
    if (job && job.status === 'PENDING' && !job.staged) {
      // No uploads waited on disk: its (empty) RAM workspace is made now, as prepare() does for a job run at once.
      try {
        this.workspaces.create(path.join(this.jobsDir, id), { diskBytes: job.limits.diskBytes, uploadBytes: 0, uploadEntries: 0 }, this.s.uid, this.s.gid);
      } catch (err) {
        this.removeJobDir(id);
        return this.lifecycle.transition(id, 'FAILED', { exitCode: 125, failureReason: `could not start the job: cannot create its workspace: ${describeError(err)}` });
      }
    }
    return this.startLive(this.lifecycle.transition(id, 'INITIALIZING'));
  }

  /** End a PENDING job without running it: CANCELED (a requirement failed, a stop) or FAILED. */
  endPending(id: string, status: 'CANCELED' | 'FAILED', reason: string): JobRecord | undefined {
    return this.lifecycle.tryTransition(id, status, { failureReason: reason, exitCode: status === 'FAILED' ? -1 : undefined });
  }

  /** Reserve an id and a place for uploads (a workspace sized to quota plus uploads, or a staging directory). */
  prepare(req: JobRequest, uploadBytes: number, uploadEntries: number, wantedId?: string): PendingJob {
    if (this.closing) throw new JobletError('UNAVAILABLE', 'the daemon is shutting down');
    const staged = req.scheduledAt !== undefined || req.recurring !== undefined;
    if (this.activeCount >= this.s.maxConcurrentJobs) {
      throw new JobletError('RESOURCE_EXHAUSTED', `this server already runs ${this.s.maxConcurrentJobs} jobs (jobs.maxConcurrentJobs); wait for some to finish`);
    }
    const maxScheduled = this.s.maxScheduledJobs ?? 1000;
    if (req.scheduledAt !== undefined && this.deps.store.withStatus(['SCHEDULED']).length >= maxScheduled) {
      throw new JobletError('RESOURCE_EXHAUSTED', `this server already has ${maxScheduled} scheduled jobs (scheduling.maxScheduledJobs); cancel some ('rnx cancel ID') or wait`);
    }
    // The workspace is RAM (tmpfs) written by the daemon: uploads are bounded like any quota.
    const ceiling = this.s.validation.limits.maxDiskBytes;
    if (uploadBytes > ceiling) {
      throw new JobletError('RESOURCE_EXHAUSTED', `uploads total ${formatSize(uploadBytes)}; this server accepts at most ${formatSize(ceiling)} per job (limits.maxDiskBytes)`);
    }
    if (wantedId !== undefined && (!isJobId(wantedId) || this.lifecycle.get(wantedId))) {
      throw new JobletError(isJobId(wantedId) ? 'ALREADY_EXISTS' : 'INVALID_ARGUMENT', isJobId(wantedId) ? `a job with id ${wantedId} exists already` : `jobUuid '${wantedId.slice(0, 40)}' must be a new lowercase UUIDv4`);
    }
    const id = wantedId ?? newJobId();
    let work: string;
    try {
      if (staged) work = createStaged(this.s.stateDir, id);
      else {
        const dir = path.join(this.jobsDir, id);
        this.workspaces.create(dir, { diskBytes: req.limits.diskBytes, uploadBytes, uploadEntries }, this.s.uid, this.s.gid);
        work = path.join(dir, 'work');
      }
    } catch (err) {
      this.discard(id, staged);
      throw new JobletError('INTERNAL', `cannot create the job's workspace: ${describeError(err)}`);
    }
    this.pendingCount++;
    return { id, workspace: new WorkspaceWriter(work, this.s.uid, this.s.gid), uploads: [], staged, uploadBytes, uploadEntries };
  }

  /** Give up a prepared job (a failed upload): its workspace goes. */
  abandon(p: PendingJob): void {
    this.pendingCount--;
    this.discard(p.id, p.staged);
  }

  /** A prepared submission became a schedule (which now owns its staged uploads): free its slot. */
  handOff(p: PendingJob): void {
    this.pendingCount--;
  }

  /** Store the job and start it, or arm its schedule. Returns the record as created. */
  launch(p: PendingJob, req: JobRequest, owner: string): JobRecord {
    this.pendingCount--;
    // A call prepared before the shutdown began may finish its uploads after it: a job started
    // now would outlive the stop of the others (and its cgroup the daemon's clean-up).
    if (this.closing) {
      this.discard(p.id, p.staged);
      throw new JobletError('UNAVAILABLE', 'the daemon is shutting down; submit the job again once it is back');
    }
    const base = this.record(p.id, req, owner, p.uploads);
    try {
      if (req.scheduledAt === undefined) return this.startLive(this.lifecycle.create({ ...base, status: 'INITIALIZING' }));
      const job = this.lifecycle.create({ ...base, status: 'SCHEDULED', scheduledAt: req.scheduledAt, staged: { key: p.id, bytes: p.uploadBytes, entries: p.uploadEntries } });
      this.arm(job.id, req.scheduledAt);
      return job;
    } catch (err) {
      this.discard(p.id, p.staged);
      throw err;
    }
  }

  /** Start a job for a firing of schedule `sched` (its uploads are staged under the schedule's id). */
  startFromSchedule(t: JobTarget, sched: { id: string; name: string }, owner: string): JobRecord {
    if (this.closing) throw new JobletError('UNAVAILABLE', 'the daemon is shutting down');
    if (this.activeCount >= this.s.maxConcurrentJobs) {
      throw new JobletError('RESOURCE_EXHAUSTED', `this server already runs ${this.s.maxConcurrentJobs} jobs (jobs.maxConcurrentJobs)`);
    }
    const req: JobRequest = { command: t.command, args: t.args, env: t.env, workdir: t.workdir, limits: t.limits, network: t.network, volumes: t.volumes, runtime: t.runtime ?? '' };
    const job: JobRecord = { ...this.record(newJobId(), req, owner, t.uploads), status: 'INITIALIZING', scheduleId: sched.id, scheduleName: sched.name, staged: t.staged };
    return this.startLive(this.lifecycle.create(job));
  }

  private record(id: string, req: JobRequest, owner: string, uploads: string[]): JobRecord {
    const { command, args, env, workdir, limits, network, volumes, runtime, name } = req;
    return { id, command, args, env, workdir, limits, network, volumes, ...(runtime ? { runtime } : {}), status: 'INITIALIZING', createdAt: this.now(), uploads, owner, outputTruncated: false, ...(name ? { name } : {}) };
  }

  private arm(id: string, at: number): void {
    this.timers.set(`job:${id}`, at, () => this.fire(id));
  }

  /** A scheduled job is due. */
  private fire(id: string): void {
    const job = this.lifecycle.get(id);
    if (!job || job.status !== 'SCHEDULED' || this.closing) return;
    if (this.activeCount >= this.s.maxConcurrentJobs) {
      this.lifecycle.transition(id, 'FAILED', { exitCode: -1, failureReason: `could not start at its scheduled time: this server already ran ${this.s.maxConcurrentJobs} jobs (jobs.maxConcurrentJobs)` });
      removeStaged(this.s.stateDir, id);
      return;
    }
    this.startLive(this.lifecycle.transition(id, 'INITIALIZING'));
  }

  /** Give an INITIALIZING job its log and run it. */
  private startLive(job: JobRecord): JobRecord {
    const signal = new LogSignal();
    let writer: LogWriter;
    try {
      const open = this.deps.openLog ?? ((f, max, on, head) => new LogWriter(f, max, on, head));
      writer = open(this.logFile(job.id), this.s.maxLogBytes, (pos) => signal.appended(pos), this.s.logHeadBytes);
    } catch (err) {
      this.removeJobDir(job.id);
      return this.lifecycle.transition(job.id, 'FAILED', { exitCode: 125, failureReason: `could not start the job: cannot open its log: ${describeError(err)}` });
    }
    const live: LiveJob = { id: job.id, abort: new AbortController(), exited: false, writer, signal, done: Promise.resolve() };
    this.live.set(job.id, live);
    live.done = runJob(job, live, this.ctx);
    return job;
  }

  /** Resolve a full id or a unique prefix of 4+ characters. */
  resolve(idOrPrefix: string): string {
    return resolveJobId(idOrPrefix, (id) => this.lifecycle.get(id) !== undefined, (p, n) => this.deps.store.idsWithPrefix(p, n));
  }

  /** One job by id or prefix; a running job carries its usage so far. */
  get(idOrPrefix: string): JobRecord {
    const id = this.resolve(idOrPrefix);
    const job = this.lifecycle.get(id)!;
    const cg = this.live.get(id)?.cgroup;
    if (!cg || isTerminal(job.status)) return job;
    try {
      return { ...job, usage: usageFrom(cg.stats()) };
    } catch {
      return job; // the cgroup is going away as the job ends
    }
  }

  /** The cgroup of a job that is being set up, runs or stops (for per-job samplers); undefined otherwise. */
  cgroupOf(id: string): JobCgroup | undefined {
    return this.live.get(id)?.cgroup;
  }

  /** Every job, oldest first. */
  list(): JobRecord[] {
    return this.lifecycle.overlay(this.deps.store.list());
  }

  /** Jobs newest first, filtered and from a position (see JobQuery). */
  page(q: JobQuery): JobRecord[] {
    return this.lifecycle.overlay(this.deps.store.page(q));
  }

  /** Stop a job: SIGTERM to all its processes, the grace period if PID 1 handles TERM, then SIGKILL. A scheduled job is canceled. */
  async stop(idOrPrefix: string, by: string, graceMs?: number): Promise<JobRecord> {
    const job = this.get(idOrPrefix);
    if (job.status === 'SCHEDULED' || job.status === 'PENDING') return this.cancel(job.id, by);
    const live = this.live.get(job.id);
    if (!live || isTerminal(job.status)) throw new FailedPreconditionError(`job ${job.id} is not running (status ${job.status})`);
    await this.terminate(live, { reason: `stopped by ${by}`, status: 'STOPPED' }, graceMs);
    return this.lifecycle.get(job.id)!;
  }

  /** Cancel a scheduled job (or a workflow job still PENDING): it becomes CANCELED and never runs. */
  cancel(idOrPrefix: string, by: string): JobRecord {
    const job = this.get(idOrPrefix);
    if (job.status === 'PENDING') return this.lifecycle.transition(job.id, 'CANCELED', { failureReason: `canceled by ${by}` });
    if (job.status !== 'SCHEDULED') {
      const hint = isTerminal(job.status) ? 'it has already ended' : `use 'rnx stop ${job.id.slice(0, 8)}' to stop a job that has started`;
      throw new FailedPreconditionError(`job ${job.id} is ${job.status}: only a SCHEDULED job can be canceled; ${hint}`);
    }
    this.timers.delete(`job:${job.id}`);
    const rec = this.lifecycle.transition(job.id, 'CANCELED', { failureReason: `canceled by ${by}` });
    try {
      removeStaged(this.s.stateDir, job.id);
    } catch (err) {
      this.deps.log(`job ${job.id}: staged uploads clean-up: ${describeError(err)}`);
    }
    return rec;
  }

  /** Stop a live job (or join the stop in progress). */
  private terminate(live: LiveJob, cause: StopCause, graceMs = this.s.stopGraceSeconds * 1000): Promise<void> {
    return terminateLive(live, cause, graceMs, {
      lifecycle: this.lifecycle,
      log: this.deps.log,
      catchesSigterm: this.deps.catchesSigterm ?? catchesSigterm,
      killTimeoutMs: this.s.killTimeoutMs ?? KILL_TIMEOUT_MS,
    });
  }

  /** Delete a finished job and its output. */
  delete(idOrPrefix: string): string {
    const job = this.get(idOrPrefix);
    if (!isTerminal(job.status) || this.live.has(job.id)) {
      if (job.status === 'SCHEDULED') throw new FailedPreconditionError(`job ${job.id} is SCHEDULED; cancel it first ('rnx cancel ${job.id.slice(0, 8)}')`);
      if (job.status === 'PENDING') throw new FailedPreconditionError(`job ${job.id} is PENDING in workflow ${job.workflowId ?? '?'}; cancel it ('rnx cancel ${job.id.slice(0, 8)}') or stop its workflow ('rnx workflow stop ${(job.workflowId ?? '').slice(0, 8)}') first`);
      throw new FailedPreconditionError(`job ${job.id} is ${job.status}; stop it first ('rnx stop ${job.id.slice(0, 8)}') or wait for it to finish`);
    }
    this.forget(job.id);
    return job.id;
  }

  private forget(id: string): void {
    this.lifecycle.forget(id);
    fs.rmSync(this.logFile(id), { force: true });
  }

  /** Delete every finished job; unfinished ones (scheduled included) are skipped and counted. */
  deleteAll(): { deleted: number; skipped: number } {
    let deleted = 0;
    let skipped = 0;
    for (const job of this.list()) {
      if (!isTerminal(job.status) || this.live.has(job.id)) skipped++;
      else {
        this.forget(job.id);
        deleted++;
      }
    }
    return { deleted, skipped };
  }

  /** Everything the job printed, then live output until it ends (unless noFollow). A scheduled job is waited for. */
  async *logs(idOrPrefix: string, noFollow: boolean, abort: AbortSignal): AsyncGenerator<LogFrame> {
    const job = this.get(idOrPrefix);
    if (!noFollow && (job.status === 'SCHEDULED' || job.status === 'PENDING')) await this.lifecycle.left(job.id, job.status, abort);
    const file = this.logFile(job.id);
    const live = noFollow ? undefined : this.live.get(job.id)?.signal;
    yield* followLog(file, () => logSize(file), live, abort);
  }

  /** Stop every running job (daemon shutdown); scheduled jobs stay scheduled for the next start. */
  async shutdown(): Promise<void> {
    this.closing = true;
    clearInterval(this.retentionTimer);
    clearTimeout(this.sweepSoon);
    for (const j of this.deps.store.withStatus(['SCHEDULED'])) this.timers.delete(`job:${j.id}`);
    await Promise.all([...this.live.values()].map((l) => this.terminate(l, { reason: 'stopped because the joblet daemon shut down', status: 'STOPPED' })));
    this.lifecycle.close();
  }

  /** Apply the retention policy now; returns the number of jobs deleted. */
  sweep(): number {
    const policy = this.s.retention;
    if (!policy || (!policy.days && !policy.keep)) return 0;
    try {
      return sweepRetention(this.deps.store, policy, this.now(), (id) => this.forget(id));
    } catch (err) {
      this.deps.log(`retention sweep: ${describeError(err)}`);
      return 0;
    }
  }

  private logFile(id: string): string {
    return path.join(this.logsDir, `${id}.log`);
  }

  private discard(id: string, staged: boolean): void {
    try {
      if (staged) removeStaged(this.s.stateDir, id);
      else this.removeJobDir(id);
    } catch (err) {
      this.deps.log(`job ${id}: clean-up: ${describeError(err)}`);
    }
  }

  private removeJobDir(id: string): void {
    // Only names we create ourselves; never follow anything else.
    if (!isJobId(id)) return;
    this.workspaces.remove(path.join(this.jobsDir, id));
  }
}
