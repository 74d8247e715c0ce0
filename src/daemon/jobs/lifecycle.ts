/**
 * The job state machine: the only place that changes a job's state.
 *
 *     SCHEDULED ──► INITIALIZING ──► RUNNING ──► COMPLETED | FAILED
 *     PENDING ───┘       │              │
 *         │              │              │
 *         │              └──────┬───────┘
 *         │                     ▼
 *         │                 STOPPING ──► STOPPED | FAILED | COMPLETED
 *         └──► CANCELED | FAILED (missed while the daemon was down)
 *
 * PENDING is a workflow job waiting for its requirements (daemon/workflows/): its workflow starts
 * it, or cancels it when a requirement can no longer be met, or fails it when it cannot start.
 *
 * INITIALIZING may also end FAILED (setup failed) and any live state FAILED at start-up (the
 * daemon died under it). Every transition is written to the store *before* listeners hear of it,
 * so whatever a follower reacts to is already durable. An illegal transition is refused, logged as
 * a bug, and changes nothing. When the store cannot be written (a full disk, an I/O error), the
 * new state is kept in memory, served to readers, announced anyway (followers must end, slots must
 * free) and written again until the store takes it: a job always reaches its terminal state.
 */
import { EventEmitter } from 'node:events';
import { JobletError, describeError } from '../../shared/errors';
import { isTerminal, type JobStatus } from '../../shared/job-status';
import type { JobStore } from '../../store/db';
import type { JobRecord, StateEntry } from '../../store/job-record';

/** Which states may follow each state. Terminal states have no successor. */
export const TRANSITIONS: Readonly<Record<JobStatus, readonly JobStatus[]>> = {
  SCHEDULED: ['INITIALIZING', 'CANCELED', 'FAILED'],
  PENDING: ['INITIALIZING', 'CANCELED', 'FAILED'],
  INITIALIZING: ['RUNNING', 'STOPPING', 'FAILED'],
  RUNNING: ['STOPPING', 'COMPLETED', 'FAILED'],
  STOPPING: ['STOPPED', 'FAILED', 'COMPLETED'],
  COMPLETED: [],
  FAILED: [],
  STOPPED: [],
  CANCELED: [],
};

/** States a job may be created in. */
export const INITIAL_STATES: readonly JobStatus[] = ['SCHEDULED', 'PENDING', 'INITIALIZING'];

/** May a job in `from` move to `to`? */
export function canTransition(from: JobStatus, to: JobStatus): boolean {
  return TRANSITIONS[from]?.includes(to) ?? false;
}

/** A refused transition: a bug in the caller, never a user error. */
export class IllegalTransitionError extends JobletError {
  constructor(
    readonly jobId: string,
    readonly from: JobStatus | undefined,
    readonly to: JobStatus,
  ) {
    super('INTERNAL', `illegal job state transition ${from ?? '(none)'} → ${to} for job ${jobId}`);
    this.name = 'IllegalTransitionError';
  }
}

/** What listeners hear: the job as stored after the change. `from` is undefined for a new job. */
export interface StateChange {
  job: JobRecord;
  from: JobStatus | undefined;
  to: JobStatus;
  at: number;
}

/** A state-change listener. Exceptions it throws are logged, never passed on. */
export type StateListener = (change: StateChange) => void;

const RETRY_MS = 5000;

/** The state machine over the job store. */
export class JobLifecycle {
  private readonly events = new EventEmitter();
  /** Records the store refused, newest version; readers see these first. */
  private readonly unsaved = new Map<string, JobRecord>();
  private retry?: NodeJS.Timeout;

  constructor(
    private readonly store: JobStore,
    private readonly log: (msg: string) => void,
    private readonly now: () => number = Date.now,
  ) {
    this.events.setMaxListeners(0);
  }

  /** Listen to every state change (creation included); returns the unsubscribe function. */
  subscribe(listener: StateListener): () => void {
    const wrapped = (c: StateChange) => {
      try {
        listener(c);
      } catch (err) {
        this.log(`state listener failed on job ${c.job.id} → ${c.to}: ${describeError(err)}`);
      }
    };
    this.events.on('change', wrapped);
    return () => this.events.off('change', wrapped);
  }

  /** Resolves with the job once it is in a terminal state (at once if it is already). */
  settled(id: string): Promise<JobRecord> {
    const job = this.get(id);
    if (!job || isTerminal(job.status)) return Promise.resolve(job as JobRecord);
    return new Promise((resolve) => {
      const off = this.subscribe((c) => {
        if (c.job.id === id && isTerminal(c.to)) {
          off();
          resolve(c.job);
        }
      });
    });
  }

  /** Resolves once the job is no longer in `status` (or `abort` fires, or it does not exist). */
  left(id: string, status: JobStatus, abort?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        off();
        abort?.removeEventListener('abort', done);
        resolve();
      };
      const off = this.subscribe((c) => {
        if (c.job.id === id && c.to !== status) done();
      });
      abort?.addEventListener('abort', done);
      if (abort?.aborted || this.get(id)?.status !== status) done();
    });
  }

  /** Store a new job in an initial state. A store failure here throws: nothing was created. */
  create(job: JobRecord): JobRecord {
    if (!INITIAL_STATES.includes(job.status)) throw this.illegal(job.id, undefined, job.status);
    const at = this.now();
    const rec: JobRecord = { ...job, history: [{ status: job.status, at }] };
    this.store.put(rec);
    this.announce({ job: rec, from: undefined, to: rec.status, at });
    return { ...rec };
  }

  /**
   * Move a job to `to`, merging `fields` into its record. Throws IllegalTransitionError (after
   * logging it) when `to` may not follow the current state; the record is then untouched.
   */
  transition(id: string, to: JobStatus, fields: Partial<JobRecord> = {}): JobRecord {
    const cur = this.get(id);
    if (!cur || !canTransition(cur.status, to)) throw this.illegal(id, cur?.status, to);
    const at = this.now();
    const history: StateEntry[] = [...(cur.history ?? []), { status: to, at }];
    const next: JobRecord = { ...cur, ...fields, id, status: to, history };
    if (isTerminal(to) && next.endedAt === undefined) next.endedAt = at;
    this.persist(next);
    this.announce({ job: next, from: cur.status, to, at });
    return { ...next };
  }

  /** Like transition(), but an illegal move only logs and returns undefined. */
  tryTransition(id: string, to: JobStatus, fields: Partial<JobRecord> = {}): JobRecord | undefined {
    try {
      return this.transition(id, to, fields);
    } catch (err) {
      if (err instanceof IllegalTransitionError) return undefined;
      throw err;
    }
  }

  /** Change fields other than the state (usage, truncation); never announced. */
  update(id: string, fields: Partial<Omit<JobRecord, 'status' | 'history'>>): void {
    const cur = this.get(id);
    if (!cur) return;
    this.persist({ ...cur, ...fields, id, status: cur.status, history: cur.history });
  }

  /** One job, the unsaved version first. */
  get(id: string): JobRecord | undefined {
    const u = this.unsaved.get(id);
    if (u) return { ...u };
    return this.store.get(id);
  }

  /** Jobs the store could not take yet (for diagnostics and tests). */
  get unsavedCount(): number {
    return this.unsaved.size;
  }

  /** Forget a job (it was deleted). */
  forget(id: string): void {
    this.unsaved.delete(id);
    this.store.delete(id);
  }

  /** Overlay unsaved versions on records read from the store. */
  overlay(records: JobRecord[]): JobRecord[] {
    if (this.unsaved.size === 0) return records;
    return records.map((r) => this.unsaved.get(r.id) ?? r);
  }

  /** Try once more to write what the store refused; returns how many remain unsaved. */
  flush(): number {
    for (const [id, rec] of [...this.unsaved]) {
      try {
        this.store.put(rec);
        this.unsaved.delete(id);
      } catch {
        break; // still failing; keep the rest for the next try
      }
    }
    if (this.unsaved.size === 0 && this.retry) {
      clearInterval(this.retry);
      this.retry = undefined;
    }
    return this.unsaved.size;
  }

  /** Stop retrying (daemon shutdown); a last flush is attempted. */
  close(): void {
    this.flush();
    if (this.retry) clearInterval(this.retry);
    this.retry = undefined;
    if (this.unsaved.size) this.log(`${this.unsaved.size} job record(s) could not be written to the store before shutdown`);
  }

  private persist(rec: JobRecord): void {
    try {
      // Order matters: an older unsaved version must not overwrite this one later.
      this.store.put(rec);
      this.unsaved.delete(rec.id);
    } catch (err) {
      this.log(`job ${rec.id}: cannot write its record (${rec.status}) to the store: ${describeError(err)}; kept in memory and retried every ${RETRY_MS / 1000} s`);
      this.unsaved.set(rec.id, rec);
      this.retry ??= setInterval(() => this.flush(), RETRY_MS).unref();
    }
  }

  private announce(c: StateChange): void {
    this.events.emit('change', { ...c, job: { ...c.job } });
  }

  private illegal(id: string, from: JobStatus | undefined, to: JobStatus): IllegalTransitionError {
    const err = new IllegalTransitionError(id, from, to);
    this.log(`BUG: ${err.message} refused; the job keeps its state`);
    return err;
  }
}
