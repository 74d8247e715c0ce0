/**
 * The run loop of the workflows that have not ended. It reacts to the job lifecycle: a change of
 * a workflow job's attempt is stored on its row at once (same tick, so a crash cannot lose it),
 * then — on the next turn of the event loop, never inside another job's transition — the
 * workflow advances: PENDING jobs whose requirements are met start (while the daemon has free
 * slots; the rest start as slots free up), those whose requirements can no longer be met are
 * canceled, failed attempts are retried after their backoff, and the workflow's state follows
 * its jobs (engine.ts says how). After a restart, reconcile() reads every attempt's state from
 * the job store and carries on from there.
 */
import { EventEmitter } from 'node:events';
import { FailedPreconditionError, JobletError, describeError } from '../../shared/errors';
import { newJobId } from '../../shared/ids';
import { isTerminal } from '../../shared/job-status';
import type { JobRecord } from '../../store/job-record';
import type { WorkflowJobRecord, WorkflowRecord } from '../../store/workflow-record';
import { isWorkflowDone } from '../../store/workflow-record';
import type { WorkflowStore } from '../../store/workflow-store';
import type { JobManager } from '../jobs/manager';
import type { StateChange } from '../jobs/lifecycle';
import type { JobRequest } from '../jobs/validate';
import type { TimerQueue } from '../schedule/timers';
import { decide, isHandled, outcome, retryAt } from './engine';

/** A workflow being run: its header and its jobs (the same objects the store gets). */
export interface ActiveWorkflow {
  rec: WorkflowRecord;
  jobs: WorkflowJobRecord[];
}

/** What the run loop needs. */
export interface RunDeps {
  store: WorkflowStore;
  jobs: JobManager;
  timers: TimerQueue;
  log: (m: string) => void;
  now: () => number;
  /** A workflow has ended (after its state is stored). */
  ended?: (rec: WorkflowRecord) => void;
}

/** The workflows that have not ended, and the loop that runs them. */
export class WorkflowRuns {
  /** 'change' (workflow id): something about that workflow changed (for watchers). */
  readonly changes = new EventEmitter();
  private readonly active = new Map<string, ActiveWorkflow>();
  /** Job id of an attempt → its workflow and job name. */
  private readonly byJob = new Map<string, { wf: string; name: string }>();
  private readonly dirty = new Set<string>();
  /** Workflows with a job ready to start but no free slot. */
  private readonly blocked = new Set<string>();
  private flushTimer?: NodeJS.Immediate;
  private closing = false;

  constructor(private readonly deps: RunDeps) {
    this.changes.setMaxListeners(0);
  }

  /** A workflow that has not ended, or undefined. */
  get(id: string): ActiveWorkflow | undefined {
    return this.active.get(id);
  }

  /** How many workflows are running or pending. */
  get size(): number {
    return this.active.size;
  }

  /** Take a workflow into the loop (new, or found at start-up) and advance it soon. */
  adopt(a: ActiveWorkflow): void {
    this.active.set(a.rec.id, a);
    for (const j of a.jobs) if (!j.reusedFrom) this.byJob.set(j.jobId, { wf: a.rec.id, name: j.name });
    for (const j of a.jobs) if (j.retryAt !== undefined) this.armRetry(a, j);
    this.markDirty(a.rec.id);
  }

  /** Lifecycle listener: store the new state on the job's row; advance the workflow soon. */
  onJobChange(c: StateChange): void {
    const ref = this.byJob.get(c.job.id);
    if (!ref) {
      // Any job that ends frees a slot that a waiting workflow job may take.
      if (isTerminal(c.to)) for (const id of this.blocked) this.markDirty(id);
      return;
    }
    const a = this.active.get(ref.wf);
    const j = a?.jobs.find((x) => x.name === ref.name);
    if (!a || !j || j.jobId !== c.job.id) return;
    sync(j, c.job);
    if (this.closing) {
      // A daemon shutdown is not anybody's stop: the attempt may be tried again after the restart.
      if (c.to === 'STOPPED') j.interrupted = true;
      this.putJob(j);
      return;
    }
    if (isTerminal(c.to)) {
      this.settle(a, j);
      for (const id of this.blocked) this.markDirty(id);
    }
    this.putJob(j);
    this.markDirty(a.rec.id);
  }

  /** Stop a workflow: cancel its PENDING jobs, stop its running ones; resolves when all have ended. */
  async stop(id: string, by: string, onFailure = false): Promise<void> {
    const a = this.active.get(id);
    if (!a) throw new FailedPreconditionError(`workflow ${id} has already ended`);
    if (a.rec.stop) return this.untilEnded(id);
    a.rec.stop = { by, at: this.deps.now(), ...(onFailure ? { onFailure: true } : {}) };
    this.putRec(a.rec);
    const waits: Promise<unknown>[] = [];
    for (const j of a.jobs) {
      if (j.retryAt !== undefined) {
        j.retryAt = undefined;
        this.deps.timers.delete(retryKey(j));
        this.putJob(j);
      }
      if (j.reusedFrom || isTerminal(j.status)) continue;
      if (j.status === 'PENDING') {
        this.deps.jobs.endPending(j.jobId, 'CANCELED', `workflow stopped by ${by}`);
        continue;
      }
      j.stoppedByWorkflow = true;
      this.putJob(j);
      waits.push(this.deps.jobs.stop(j.jobId, `${by} (workflow stop)`).catch((err) => this.deps.log(`workflow ${id}: stopping job ${j.jobId}: ${describeError(err)}`)));
    }
    this.markDirty(id);
    await Promise.all(waits);
    await this.untilEnded(id);
  }

  /** Resolves once workflow `id` has ended (at once when it is not running). */
  untilEnded(id: string): Promise<void> {
    if (!this.active.has(id)) return Promise.resolve();
    return new Promise((resolve) => {
      const on = (wf: string) => {
        if (wf === id && !this.active.has(id)) {
          this.changes.off('change', on);
          resolve();
        }
      };
      this.changes.on('change', on);
    });
  }

  /** Add a job to a running workflow (RunJob with workflowUuid); it is created PENDING and advanced like the others. */
  add(id: string, row: Omit<WorkflowJobRecord, 'workflowId' | 'index' | 'jobId' | 'attempts' | 'status'>, owner: string, jobId?: string): WorkflowJobRecord {
    const a = this.active.get(id);
    if (!a || a.rec.stop) throw new FailedPreconditionError(`workflow ${id} has ${a ? 'been stopped' : 'already ended'}; add jobs only to a running workflow`);
    if (a.jobs.some((j) => j.name === row.name)) throw new JobletError('ALREADY_EXISTS', `workflow ${id} has a job named '${row.name}' already`);
    const j: WorkflowJobRecord = { ...row, workflowId: id, index: a.jobs.length, jobId: jobId ?? newJobId(), attempts: [], status: 'PENDING' };
    this.createAttempt(a, j, owner);
    a.jobs.push(j);
    this.putJob(j);
    this.markDirty(id);
    return j;
  }

  /**
   * After a restart: every attempt's state from the job store (jobs that were running are FAILED
   * "daemon restarted" by then, or STOPPED by a clean shutdown), retries decided, timers armed.
   */
  reconcile(a: ActiveWorkflow): void {
    for (const j of a.jobs) {
      if (j.reusedFrom) continue;
      const job = this.deps.jobs.lifecycle.get(j.jobId);
      if (!job) {
        if (j.status === 'PENDING' && j.retryAt === undefined) {
          // Created with the workflow but lost before its job record was written: make it now.
          j.attempts = j.attempts.filter((x) => x !== j.jobId);
          this.createAttempt(a, j, a.rec.owner, j.jobId);
        } else if (!isTerminal(j.status)) {
          j.status = 'FAILED';
          j.failureReason = 'its job record is gone';
        }
      } else sync(j, job);
    }
    this.adopt(a);
    for (const j of a.jobs) {
      if (!j.reusedFrom && isTerminal(j.status) && j.settled !== j.jobId) this.settle(a, j);
      this.putJob(j);
    }
  }

  /** Cancel PENDING jobs whose workflow is not running (left over from a crash in the middle of a delete). */
  cancelOrphans(pending: JobRecord[]): void {
    for (const job of pending) {
      if (job.workflowId && !this.byJob.has(job.id)) this.deps.jobs.endPending(job.id, 'CANCELED', `its workflow ${job.workflowId} is not running`);
    }
  }

  /** Daemon shutdown: start nothing more; attempts stopped from now on may be retried after the restart. */
  shutdown(): void {
    this.closing = true;
    if (this.flushTimer) clearImmediate(this.flushTimer);
    this.flushTimer = undefined;
  }

  /** The end of an attempt: retry it later, or let it stand (and with on_failure: stop, stop the rest). */
  private settle(a: ActiveWorkflow, j: WorkflowJobRecord): void {
    if (j.settled === j.jobId) return;
    j.settled = j.jobId;
    const at = retryAt(j, !!a.rec.stop, this.deps.now());
    if (at !== undefined) {
      j.retryAt = at;
      this.armRetry(a, j);
      return;
    }
    const failed = j.status === 'FAILED' || j.status === 'STOPPED';
    if (failed && !j.allowFailure && a.rec.onFailure === 'stop' && !a.rec.stop && !isHandled(a.jobs, j.name, j.status as 'FAILED' | 'STOPPED')) {
      void this.stop(a.rec.id, `on_failure: stop (job '${j.name}' ${j.status.toLowerCase()})`, true).catch((err) => this.deps.log(`workflow ${a.rec.id}: ${describeError(err)}`));
    }
  }

  private armRetry(a: ActiveWorkflow, j: WorkflowJobRecord): void {
    this.deps.timers.set(retryKey(j), j.retryAt!, () => this.retryNow(a.rec.id, j.name));
  }

  /** A retry is due: the next attempt is created PENDING (its requirements held before, so it starts). */
  private retryNow(id: string, name: string): void {
    const a = this.active.get(id);
    const j = a?.jobs.find((x) => x.name === name);
    if (!a || !j || j.retryAt === undefined || this.closing) return;
    j.retryAt = undefined;
    if (!a.rec.stop) {
      try {
        this.createAttempt(a, j, a.rec.owner);
      } catch (err) {
        this.deps.log(`workflow ${id}: job '${name}': cannot create its next attempt: ${describeError(err)}`);
      }
    }
    this.putJob(j);
    this.markDirty(id);
  }

  /** Create the next attempt of `j` as a PENDING job (with `id` when given). */
  private createAttempt(a: ActiveWorkflow, j: WorkflowJobRecord, owner: string, id = newJobId()): void {
    this.byJob.set(id, { wf: a.rec.id, name: j.name });
    let job: JobRecord;
    try {
      job = this.deps.jobs.createPending(j.spec as unknown as JobRequest, {
        id,
        name: j.name,
        workflowId: a.rec.id,
        attempt: j.attempts.length + 1,
        dependencies: j.dependencies,
        requirements: j.requires.map((r) => r.text),
        secretEnv: j.secretEnv,
        uploads: j.uploads,
        staged: j.staged,
      }, owner);
    } catch (err) {
      this.byJob.delete(id);
      throw err;
    }
    j.jobId = job.id;
    j.attempts.push(job.id);
    j.status = 'PENDING';
    j.exitCode = undefined;
    j.startedAt = undefined;
    j.endedAt = undefined;
    j.failureReason = undefined;
    j.interrupted = undefined;
  }

  private markDirty(id: string): void {
    this.dirty.add(id);
    this.flushTimer ??= setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushTimer = undefined;
    if (this.closing) return;
    const ids = [...this.dirty];
    this.dirty.clear();
    for (const id of ids) {
      try {
        this.advance(id);
      } catch (err) {
        this.deps.log(`BUG: workflow ${id}: advancing failed: ${describeError(err)}`);
      }
      this.changes.emit('change', id);
    }
  }

  /** Start what may start, cancel what never can, until nothing changes; then update the workflow's state. */
  private advance(id: string): void {
    const a = this.active.get(id);
    if (!a) return;
    let waiting = false;
    for (let changed = true; changed; ) {
      changed = false;
      const d = decide(a.jobs);
      for (const { job, reason } of d.cancel) {
        if (!this.deps.jobs.endPending(job.jobId, 'CANCELED', reason)) this.resync(job);
        changed = true;
      }
      waiting = false;
      for (const job of a.rec.stop ? [] : d.start) {
        if (this.deps.jobs.freeSlots <= 0) {
          waiting = true;
          break;
        }
        try {
          this.deps.jobs.startPending(job.jobId);
        } catch (err) {
          if (err instanceof JobletError && err.code === 'RESOURCE_EXHAUSTED') {
            waiting = true;
            break;
          }
          if (!this.deps.jobs.endPending(job.jobId, 'FAILED', `could not start: ${describeError(err)}`)) this.resync(job);
        }
        this.putJob(job);
        changed = true;
      }
    }
    if (waiting) this.blocked.add(id);
    else this.blocked.delete(id);
    this.updateState(a);
  }

  /** The workflow's own state from its jobs; when it has ended it leaves the loop. */
  private updateState(a: ActiveWorkflow): void {
    const o = outcome(a.rec, a.jobs);
    const rec = a.rec;
    if (o.status === rec.status && o.message === rec.message) return;
    rec.status = o.status;
    rec.message = o.message;
    if (o.status !== 'PENDING' && rec.startedAt === undefined) rec.startedAt = this.deps.now();
    if (isWorkflowDone(o.status)) {
      rec.endedAt = this.deps.now();
      for (const j of a.jobs) for (const att of j.attempts) this.byJob.delete(att);
      this.active.delete(rec.id);
      this.blocked.delete(rec.id);
    }
    this.putRec(rec);
    if (isWorkflowDone(o.status)) this.deps.ended?.(rec);
  }

  /** Read a job's state again (it changed under us, e.g. someone canceled it). */
  private resync(j: WorkflowJobRecord): void {
    const job = this.deps.jobs.lifecycle.get(j.jobId);
    if (job) sync(j, job);
  }

  private putJob(j: WorkflowJobRecord): void {
    try {
      this.deps.store.putJob(j);
    } catch (err) {
      this.deps.log(`workflow ${j.workflowId}: cannot store job '${j.name}': ${describeError(err)}`);
    }
    this.changes.emit('change', j.workflowId);
  }

  private putRec(rec: WorkflowRecord): void {
    try {
      this.deps.store.put(rec);
    } catch (err) {
      this.deps.log(`workflow ${rec.id}: cannot store its record: ${describeError(err)}`);
    }
    this.changes.emit('change', rec.id);
  }
}

function retryKey(j: WorkflowJobRecord): string {
  return `workflow-retry:${j.workflowId}:${j.index}`;
}

/** Copy an attempt's state onto its row. */
function sync(j: WorkflowJobRecord, job: JobRecord): void {
  j.status = job.status;
  j.exitCode = job.exitCode;
  j.startedAt = job.startedAt;
  j.endedAt = job.endedAt;
  j.failureReason = job.failureReason;
  if (job.status !== 'PENDING' && job.status !== 'CANCELED') j.ran = true;
}
