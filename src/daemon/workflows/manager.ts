/**
 * The workflow manager owns every workflow of this daemon: it checks a workflow completely before
 * anything exists (prepare.ts), stores it (workflow and job rows in one transaction), creates each
 * job PENDING through the job manager — every job of a workflow is an ordinary job — and hands it
 * to the run loop (runs.ts). It also lists, stops, reruns, deletes and watches workflows, starts
 * them for schedules, and adds jobs to a running one (RunJob with workflowUuid).
 */
import type { RunJobRequest } from '../../gen/joblet';
import { notFound } from '../../shared/entities';
import { FailedPreconditionError, InvalidArgumentError, JobletError, NotFoundError, describeError } from '../../shared/errors';
import { newJobId } from '../../shared/ids';
import { referencedJobs } from '../../shared/workflow/expression';
import type { Problem } from '../../shared/workflow/problems';
import type { JobRecord } from '../../store/job-record';
import type { JobStore } from '../../store/db';
import type { WorkflowTarget } from '../../store/schedule-record';
import { isWorkflowDone, type WorkflowJobSpec, type PreparedJob, type PreparedWorkflow, type WorkflowJobRecord, type WorkflowRecord, type WorkflowStatus } from '../../store/workflow-record';
import type { WorkflowStore } from '../../store/workflow-store';
import type { JobManager } from '../jobs/manager';
import type { StateChange } from '../jobs/lifecycle';
import type { TimerQueue } from '../schedule/timers';
import { joinRequirements } from './join';
import { check, prepare, type Prepared, type RuntimeCatalogue, type WorkflowInput } from './prepare';
import { resolveWorkflowId } from './resolve';
import { WorkflowRuns } from './runs';
import { releaseStaged, stageFiles } from './staging';

/** A workflow and its jobs, as the RPCs show it. */
export interface WorkflowView {
  rec: WorkflowRecord;
  jobs: WorkflowJobRecord[];
}

/** Settings of the workflow manager (server config `workflows:` and friends). */
export interface WorkflowSettings {
  stateDir: string;
  uid: number;
  gid: number;
  /** Most jobs in one workflow. */
  maxJobs: number;
  /** Most workflows pending or running at once. */
  maxActive: number;
  /** Largest workflow file. */
  maxYamlBytes: number;
  /** Most bytes of uploads per job (limits.maxDiskBytes). */
  maxUploadBytes: number;
  /** Finished workflows kept (with their jobs): days and/or the newest `keep`; 0 = no bound. */
  retention: { days: number; keep: number };
}

/** What the workflow manager needs from the rest of the daemon. */
export interface WorkflowDeps {
  store: WorkflowStore;
  jobs: JobManager;
  jobStore: JobStore;
  timers: TimerQueue;
  volumes: () => string[];
  networks: () => string[];
  /** The runtime catalogue, once the server has one; without it a job naming a runtime is refused. */
  runtimes?: RuntimeCatalogue;
  /** Staging keys that recurring schedules of workflows hold (kept when a workflow goes). */
  scheduleKeys?: () => Set<string>;
  log: (m: string) => void;
  now?: () => number;
}

/** A page of workflows. */
export interface WorkflowQuery {
  before?: [number, string];
  statuses?: WorkflowStatus[];
  limit: number;
}

/** Owns every workflow of this daemon. */
export class WorkflowManager {
  readonly runs: WorkflowRuns;
  private readonly now: () => number;
  private sweepSoon?: NodeJS.Timeout;
  private sweepTimer?: NodeJS.Timeout;
  private closing = false;

  constructor(
    private readonly s: WorkflowSettings,
    private readonly deps: WorkflowDeps,
  ) {
    this.now = deps.now ?? Date.now;
    this.runs = new WorkflowRuns({ store: deps.store, jobs: deps.jobs, timers: deps.timers, log: deps.log, now: this.now, ended: () => this.sweepLater() });
  }

  /** After a restart: carry on with every workflow that had not ended; cancel jobs whose workflow is gone. */
  start(): void {
    for (const rec of this.deps.store.withStatus(['PENDING', 'RUNNING'])) {
      try {
        this.runs.reconcile({ rec, jobs: this.deps.store.jobs(rec.id) });
      } catch (err) {
        this.deps.log(`workflow ${rec.id}: cannot resume: ${describeError(err)}`);
      }
    }
    this.runs.cancelOrphans(this.deps.jobStore.withStatus(['PENDING']));
    this.sweep();
    this.sweepTimer = setInterval(() => this.sweep(), 60_000).unref();
  }

  /** Daemon shutdown (before the jobs are stopped): start nothing more. */
  shutdown(): void {
    this.closing = true;
    this.runs.shutdown();
    clearTimeout(this.sweepSoon);
    clearInterval(this.sweepTimer);
  }

  /** Lifecycle listener. */
  onJobChange(c: StateChange): void {
    this.runs.onJobChange(c);
  }

  /** Check a workflow without creating anything: every problem, and its plan when there are none. */
  validate(input: WorkflowInput): { problems: Problem[]; prepared?: Prepared } {
    return check(input, this.prepareDeps());
  }

  /** Check, store and start a workflow. Nothing is created when a check fails. */
  submit(input: WorkflowInput, owner: string): WorkflowView {
    this.admit();
    const prepared = this.stage(prepare(input, this.prepareDeps()));
    try {
      return this.create(prepared, { owner });
    } catch (err) {
      this.release(prepared.jobs);
      throw err;
    }
  }

  /** Check a workflow and stage its uploads for a recurring schedule (which then owns them). */
  prepareTarget(input: WorkflowInput): WorkflowTarget {
    return { kind: 'workflow', ...this.stage(prepare(input, this.prepareDeps())) };
  }

  /** A schedule fired: run its workflow (its uploads stay the schedule's). Returns the workflow id. */
  startFromSchedule(t: WorkflowTarget, sched: { id: string; name: string }, owner: string): string {
    if (this.closing) throw new JobletError('UNAVAILABLE', 'the daemon is shutting down');
    this.admit();
    return this.create(t, { owner, scheduleId: sched.id, scheduleName: sched.name }).rec.id;
  }

  /** Release what a removed schedule's workflow target staged (unless a workflow still uses it). */
  releaseTarget(t: WorkflowTarget): void {
    this.release(t.jobs);
  }

  /** Resolve a full id or a unique prefix of 4+ characters. */
  resolve(ref: string): string {
    return resolveWorkflowId(ref, (id) => this.deps.store.get(id) !== undefined, (p, n) => this.deps.store.idsWithPrefix(p, n));
  }

  /** One workflow with its jobs. */
  get(ref: string): WorkflowView {
    return this.view(this.resolve(ref));
  }

  /** The state of a workflow by full id (undefined when it does not exist). */
  statusOf(id: string): string | undefined {
    return this.runs.get(id)?.rec.status ?? this.deps.store.get(id)?.status;
  }

  /** Workflows newest first (see WorkflowQuery), with their jobs. */
  page(q: WorkflowQuery): WorkflowView[] {
    return this.deps.store.page(q).map((r) => this.view(r.id, r));
  }

  /** Ids of every job of a workflow (every attempt; reused jobs of a rerun included). */
  jobIds(ref: string): string[] {
    return this.get(ref).jobs.flatMap((j) => (j.reusedFrom ? [j.jobId] : j.attempts));
  }

  /** Stop a workflow: PENDING jobs are canceled, running ones stopped; resolves when it has ended. */
  async stop(ref: string, by: string): Promise<WorkflowView> {
    const id = this.resolve(ref);
    const rec = this.deps.store.get(id)!;
    if (!this.runs.get(id)) throw new FailedPreconditionError(`workflow ${id} has already ended (${rec.status})`);
    await this.runs.stop(id, by);
    return this.view(id);
  }

  /** Run a finished workflow again as a new workflow linked to it; with fromFailed, COMPLETED jobs are reused. */
  rerun(ref: string, fromFailed: boolean, owner: string): WorkflowView {
    const old = this.get(ref);
    if (!isWorkflowDone(old.rec.status)) {
      throw new FailedPreconditionError(`workflow ${old.rec.id} is ${old.rec.status}; rerun it once it has ended (or stop it: 'rnx workflow stop ${old.rec.id.slice(0, 8)}')`);
    }
    if (fromFailed && old.jobs.every((j) => j.status === 'COMPLETED')) {
      throw new FailedPreconditionError(`every job of workflow ${old.rec.id} completed: nothing to rerun with --from-failed`);
    }
    this.admit();
    const reuse = new Map<string, WorkflowJobRecord>();
    if (fromFailed) for (const j of old.jobs) if (j.status === 'COMPLETED') reuse.set(j.name, j);
    const { name, file, workflowName, description, onFailure, yaml } = old.rec;
    const prepared: PreparedWorkflow = { name, file, workflowName, description, onFailure, yaml, jobs: old.jobs.map(preparedOf) };
    const view = this.create(prepared, { owner, rerunOf: old.rec.id, reuse });
    const rec = this.deps.store.get(old.rec.id);
    if (rec) {
      rec.reruns = [...(rec.reruns ?? []), view.rec.id];
      this.deps.store.put(rec);
    }
    return view;
  }

  /** Delete a finished workflow with its jobs and their logs; returns how many jobs went. */
  delete(ref: string): { id: string; deletedJobs: number } {
    const { rec, jobs } = this.get(ref);
    if (!isWorkflowDone(rec.status)) throw new FailedPreconditionError(`workflow ${rec.id} is ${rec.status}; stop it first ('rnx workflow stop ${rec.id.slice(0, 8)}') or wait for it to end`);
    return { id: rec.id, deletedJobs: this.remove(rec, jobs) };
  }

  /** The workflow now, then again after every change, until it has ended (or `signal` aborts). */
  async *watch(ref: string, signal: AbortSignal): AsyncGenerator<WorkflowView> {
    const id = this.resolve(ref);
    let changed = false;
    let wake: (() => void) | undefined;
    const on = (wf: string) => {
      if (wf !== id) return;
      changed = true;
      wake?.();
    };
    const onAbort = () => wake?.();
    this.runs.changes.on('change', on);
    signal.addEventListener('abort', onAbort);
    try {
      for (;;) {
        changed = false;
        const v = this.view(id);
        yield v;
        if (isWorkflowDone(v.rec.status) || signal.aborted) return;
        if (!changed) await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        if (signal.aborted) return;
        // Changes come in bursts (a job ends, the next starts): one view for the burst.
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      this.runs.changes.off('change', on);
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** RunJob with workflowUuid: add a job to a running workflow; its requirements name the workflow's jobs. */
  addJob(ref: string, req: RunJobRequest, owner: string): JobRecord {
    const id = this.resolve(ref);
    const a = this.runs.get(id);
    if (!a) throw new FailedPreconditionError(`workflow ${id} has already ended (${this.deps.store.get(id)?.status}); add jobs only to a running workflow`);
    if (!req.name) throw new InvalidArgumentError('name is required to add a job to a workflow: requirements refer to its jobs by name');
    if (req.schedule || req.cron) throw new InvalidArgumentError('a job of a workflow starts when its requirements are met: schedule and cron do not apply');
    const spec = this.deps.jobs.check({ ...req, workflowUuid: '', jobUuid: '', requirements: [] });
    const requires = joinRequirements(req.requirements, a.jobs);
    const st = stageFiles(this.s.stateDir, this.s.uid, this.s.gid, req.uploads.map((u) => ({ ...u, path: u.path.replace(/^\.\//, '').replace(/\/+$/, '') })));
    try {
      const row = this.runs.add(id, {
        name: spec.name!,
        spec: { ...spec, name: undefined } as unknown as WorkflowJobSpec,
        secretEnv: {},
        requires,
        dependencies: [...new Set(requires.flatMap((r) => referencedJobs(r.req)))],
        retries: { count: 0, backoffMs: 0, exponential: false },
        allowFailure: false,
        uploads: st.uploads,
        staged: st.staged,
      }, owner, req.jobUuid || undefined);
      return this.deps.jobs.lifecycle.get(row.jobId)!;
    } catch (err) {
      if (st.staged) this.release([{ staged: st.staged }]);
      throw err;
    }
  }

  /** Apply the retention policy now; returns how many workflows were deleted. */
  sweep(): number {
    const { days, keep } = this.s.retention;
    let n = 0;
    try {
      const gone = new Set<string>();
      if (keep > 0) for (;;) {
        const extra = this.deps.store.finishedByAge(keep, 200).filter((w) => !gone.has(w.id));
        for (const w of extra) gone.add(w.id);
        if (extra.length < 200) break;
      }
      if (days > 0) {
        const cutoff = this.now() - days * 86_400_000;
        for (const w of this.deps.store.finishedByAge(0, 100_000)) if ((w.endedAt ?? w.createdAt) < cutoff) gone.add(w.id);
      }
      for (const id of gone) {
        const rec = this.deps.store.get(id);
        if (rec && isWorkflowDone(rec.status)) {
          this.remove(rec, this.deps.store.jobs(id));
          n++;
        }
      }
    } catch (err) {
      this.deps.log(`workflow retention sweep: ${describeError(err)}`);
    }
    return n;
  }

  private sweepLater(): void {
    if (this.sweepSoon || this.closing) return;
    this.sweepSoon = setTimeout(() => {
      this.sweepSoon = undefined;
      this.sweep();
    }, 1000).unref();
  }

  private remove(rec: WorkflowRecord, jobs: WorkflowJobRecord[]): number {
    let deleted = 0;
    for (const j of jobs) {
      if (j.reusedFrom) continue;
      for (const att of j.attempts) {
        try {
          this.deps.jobs.delete(att);
          deleted++;
        } catch (err) {
          if (!(err instanceof NotFoundError)) this.deps.log(`workflow ${rec.id}: deleting job ${att}: ${describeError(err)}`);
        }
      }
    }
    this.deps.store.delete(rec.id);
    this.release(jobs);
    return deleted;
  }

  /** Too many workflows running already? */
  private admit(): void {
    if (this.closing) throw new JobletError('UNAVAILABLE', 'the daemon is shutting down');
    if (this.runs.size >= this.s.maxActive) {
      throw new JobletError('RESOURCE_EXHAUSTED', `this server already runs ${this.s.maxActive} workflows (workflows.maxActive); wait for some to end or stop them ('rnx workflow stop ID')`);
    }
  }

  private prepareDeps() {
    return {
      check: (req: RunJobRequest) => this.deps.jobs.check(req),
      volumes: this.deps.volumes,
      networks: this.deps.networks,
      runtimes: this.deps.runtimes,
      maxJobs: this.s.maxJobs,
      maxUploadBytes: this.s.maxUploadBytes,
      maxYamlBytes: this.s.maxYamlBytes,
    };
  }

  /** Write every job's uploads to its staging directory; all or nothing. */
  private stage(p: Prepared): PreparedWorkflow {
    const jobs: PreparedJob[] = [];
    try {
      for (const j of p.jobs) {
        const st = stageFiles(this.s.stateDir, this.s.uid, this.s.gid, j.files);
        jobs.push({
          name: j.plan.name,
          spec: j.request as unknown as WorkflowJobSpec,
          secretEnv: j.plan.secretEnv,
          requires: j.plan.requires,
          dependencies: j.plan.dependencies,
          retries: j.plan.retries,
          allowFailure: j.plan.allowFailure,
          uploads: st.uploads,
          staged: st.staged,
        });
      }
    } catch (err) {
      this.release(jobs);
      throw err;
    }
    const { plan } = p;
    return { name: plan.name, file: plan.file, workflowName: plan.workflowName, description: plan.description, onFailure: plan.onFailure, yaml: p.yaml, jobs };
  }

  /** Store a workflow and create its jobs PENDING; all or nothing. */
  private create(p: PreparedWorkflow, meta: { owner: string; rerunOf?: string; scheduleId?: string; scheduleName?: string; reuse?: Map<string, WorkflowJobRecord> }): WorkflowView {
    const id = newJobId();
    const rec: WorkflowRecord = {
      id,
      name: p.name,
      file: p.file,
      workflowName: p.workflowName,
      description: p.description,
      status: 'PENDING',
      onFailure: p.onFailure,
      yaml: p.yaml,
      owner: meta.owner,
      createdAt: this.now(),
      ...(meta.rerunOf ? { rerunOf: meta.rerunOf } : {}),
      ...(meta.scheduleId ? { scheduleId: meta.scheduleId, scheduleName: meta.scheduleName ?? '' } : {}),
    };
    const rows: WorkflowJobRecord[] = p.jobs.map((j, index) => {
      const old = meta.reuse?.get(j.name);
      const base = { ...preparedOf(j), workflowId: id, index };
      if (!old) return { ...base, jobId: newJobId(), attempts: [], status: 'PENDING' };
      return { ...base, jobId: old.jobId, attempts: [old.jobId], status: 'COMPLETED', exitCode: 0, startedAt: old.startedAt, endedAt: old.endedAt, settled: old.jobId, ran: true, reusedFrom: old.reusedFrom ?? old.workflowId };
    });
    this.deps.store.create(rec, rows);
    const created: string[] = [];
    try {
      for (const r of rows) {
        if (r.reusedFrom) continue;
        const job = this.deps.jobs.createPending(r.spec as never, {
          id: r.jobId,
          name: r.name,
          workflowId: id,
          attempt: 1,
          dependencies: r.dependencies,
          requirements: r.requires.map((q) => q.text),
          secretEnv: r.secretEnv,
          uploads: r.uploads,
          staged: r.staged,
        }, meta.owner);
        created.push(job.id);
        r.attempts = [job.id];
        this.deps.store.putJob(r);
      }
    } catch (err) {
      for (const c of created) this.deps.jobs.lifecycle.forget(c);
      this.deps.store.delete(id);
      throw new JobletError(err instanceof JobletError ? err.code : 'INTERNAL', `cannot create the workflow's jobs: ${describeError(err)}`);
    }
    this.runs.adopt({ rec, jobs: rows });
    return this.view(id);
  }

  /** Remove staging directories of `jobs` that no workflow or schedule uses any more. */
  private release(jobs: Pick<PreparedJob, 'staged'>[]): void {
    const held = this.deps.scheduleKeys?.() ?? new Set<string>();
    releaseStaged(this.s.stateDir, jobs.flatMap((j) => (j.staged ? [j.staged.key] : [])), (k) => held.has(k) || this.deps.store.stagedKeyInUse(k), this.deps.log);
  }

  private view(id: string, stored?: WorkflowRecord): WorkflowView {
    const a = this.runs.get(id);
    if (a) return { rec: { ...a.rec }, jobs: a.jobs.map((j) => ({ ...j })) };
    const rec = stored ?? this.deps.store.get(id);
    if (!rec) throw notFound('workflow', id);
    return { rec, jobs: this.deps.store.jobs(id) };
  }
}

/** The prepared part of a workflow job (what a rerun or a schedule repeats). */
function preparedOf(j: PreparedJob): PreparedJob {
  const { name, spec, secretEnv, requires, dependencies, retries, allowFailure, uploads, staged } = j;
  return { name, spec, secretEnv, requires, dependencies, retries, allowFailure, uploads, staged };
}

