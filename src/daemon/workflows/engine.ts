/**
 * The rules of a workflow run, as pure functions over its jobs (no I/O, so they are tested on
 * their own): which PENDING jobs may start and which can never start, whether a failed attempt
 * is tried again and when, and how the workflow ends.
 *
 * A workflow ends when every job has ended. Then it is
 *   STOPPED   when it was stopped (rnx workflow stop) after a job had started;
 *   CANCELED  when it was stopped before any job started, or every job ended CANCELED;
 *   FAILED    when a job ended FAILED or STOPPED (after its retries) without allow_failure
 *             (with on_failure: stop, the jobs still running were then stopped, the rest canceled);
 *   COMPLETED otherwise: every job COMPLETED, or CANCELED because its requirements could no
 *             longer be met (a branch not taken), or canceled by hand, or failed with allow_failure.
 */
import { isTerminal } from '../../shared/job-status';
import { accepts, evaluateAll, unmetReason, type EndState, type JobState } from '../../shared/workflow/expression';
import type { WorkflowJobRecord, WorkflowRecord, WorkflowStatus } from '../../store/workflow-record';

/** A job as requirements see it: ended for good, or not yet (a retry that is due counts as not yet). */
export function jobState(j: WorkflowJobRecord): JobState {
  if (j.retryAt !== undefined) return { status: 'PENDING', final: false };
  return { status: j.status, final: isTerminal(j.status) };
}

/** The state a workflow job shows: PENDING while a retry is due. */
export function shownStatus(j: WorkflowJobRecord): string {
  return j.retryAt !== undefined ? 'PENDING' : j.status;
}

/** What to do with the PENDING jobs now: start these, cancel those (with the reason). */
export interface Decisions {
  start: WorkflowJobRecord[];
  cancel: { job: WorkflowJobRecord; reason: string }[];
}

/** Decide for every PENDING job (not waiting for a retry) whose requirements are now known. */
export function decide(jobs: WorkflowJobRecord[]): Decisions {
  const byName = new Map(jobs.map((j) => [j.name, j]));
  const state = (name: string) => {
    const j = byName.get(name);
    return j ? jobState(j) : undefined;
  };
  const out: Decisions = { start: [], cancel: [] };
  for (const j of jobs) {
    if (j.status !== 'PENDING' || j.retryAt !== undefined) continue;
    const { met, failed } = evaluateAll(j.requires, state);
    if (met === true) out.start.push(j);
    else if (met === false) out.cancel.push({ job: j, reason: unmetReason(failed!, state) });
  }
  return out;
}

/** Is this outcome of `job` one that another job's requirement waits for (a branch, not an accident)? */
export function isHandled(jobs: WorkflowJobRecord[], job: string, status: EndState): boolean {
  return jobs.some((j) => j.name !== job && j.requires.some((r) => accepts(r.req, job, status)));
}

/**
 * When a finished attempt is tried again: its end time plus the backoff (doubled for each earlier
 * retry when exponential, at most a day); undefined when it is not retried. Only failures are
 * retried — a FAILED job, or one a daemon shutdown stopped — never a stop someone asked for.
 */
export function retryAt(j: WorkflowJobRecord, stopped: boolean, now: number): number | undefined {
  const retryable = j.status === 'FAILED' || (j.status === 'STOPPED' && j.interrupted === true);
  if (!retryable || stopped || j.reusedFrom) return undefined;
  const done = j.attempts.length;
  if (done > j.retries.count) return undefined;
  const factor = j.retries.exponential ? 2 ** (done - 1) : 1;
  return now + Math.min(j.retries.backoffMs * factor, 86_400_000);
}

/** How many jobs are in each state. */
export interface Counts {
  total: number;
  completed: number;
  failed: number;
  canceled: number;
  stopped: number;
  running: number;
  pending: number;
}

/** Count the jobs by the state they show. */
export function counts(jobs: WorkflowJobRecord[]): Counts {
  const c: Counts = { total: jobs.length, completed: 0, failed: 0, canceled: 0, stopped: 0, running: 0, pending: 0 };
  for (const j of jobs) {
    const s = shownStatus(j);
    if (s === 'COMPLETED') c.completed++;
    else if (s === 'FAILED') c.failed++;
    else if (s === 'CANCELED') c.canceled++;
    else if (s === 'STOPPED') c.stopped++;
    else if (s === 'PENDING' || s === 'SCHEDULED') c.pending++;
    else c.running++;
  }
  return c;
}

/** The workflow's state now, and why when it has ended (see the rules above). */
export function outcome(w: WorkflowRecord, jobs: WorkflowJobRecord[]): { status: WorkflowStatus; message?: string } {
  const ended = jobs.every((j) => jobState(j).final);
  const ran = jobs.some((j) => j.ran);
  if (!ended) return { status: ran || w.startedAt !== undefined ? 'RUNNING' : 'PENDING' };
  if (w.stop && !w.stop.onFailure) {
    return ran ? { status: 'STOPPED', message: `stopped by ${w.stop.by}` } : { status: 'CANCELED', message: `stopped by ${w.stop.by} before any job started` };
  }
  const failures = jobs.filter((j) => (j.status === 'FAILED' || (j.status === 'STOPPED' && !j.stoppedByWorkflow)) && !j.allowFailure);
  if (failures.length) {
    const first = failures[0]!;
    const what = failures.length === 1 ? `job '${first.name}' ${first.status.toLowerCase()}` : `${failures.length} jobs did not complete (${failures.map((f) => `${f.name} ${f.status}`).join(', ')})`;
    const tail = w.stop?.onFailure ? '; the rest was stopped (on_failure: stop)' : '';
    return { status: 'FAILED', message: `${failures.length === 1 && first.failureReason ? `${what}: ${first.failureReason}` : what}${tail}` };
  }
  if (jobs.length > 0 && jobs.every((j) => j.status === 'CANCELED')) return { status: 'CANCELED', message: 'every job was canceled' };
  return { status: 'COMPLETED' };
}
