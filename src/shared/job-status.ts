/**
 * The job states as the wire and the CLI spell them. Which state may follow which is the daemon's
 * business (src/daemon/jobs/lifecycle.ts); the client only needs the names, e.g. for
 * `rnx list --status`.
 */
import { InvalidArgumentError } from './errors';
import { printable } from './ids';

/** Every state a job can be in. */
export const JOB_STATUSES = ['SCHEDULED', 'PENDING', 'INITIALIZING', 'RUNNING', 'STOPPING', 'COMPLETED', 'FAILED', 'STOPPED', 'CANCELED'] as const;

/** One job state. */
export type JobStatus = (typeof JOB_STATUSES)[number];

/** States a job never leaves. */
export const TERMINAL_STATUSES: ReadonlySet<JobStatus> = new Set<JobStatus>(['COMPLETED', 'FAILED', 'STOPPED', 'CANCELED']);

/** True when the job has ended (or was canceled before it ran). */
export function isTerminal(status: string): boolean {
  return TERMINAL_STATUSES.has(status as JobStatus);
}

/** Parse a list of states ("running,failed" or repeated flags), case-insensitive; refuses unknown names. */
export function parseStatuses(flag: string, values: string[]): JobStatus[] {
  const out = new Set<JobStatus>();
  for (const v of values.flatMap((x) => x.split(','))) {
    const s = v.trim().toUpperCase();
    if (!s) continue;
    if (!(JOB_STATUSES as readonly string[]).includes(s)) {
      throw new InvalidArgumentError(`${flag}: '${printable(v)}' is not a job state; use ${JOB_STATUSES.join(', ')}`);
    }
    out.add(s as JobStatus);
  }
  return [...out];
}
