/**
 * The one `[joblet] …` line `rnx run --wait` prints on stderr when joblet (not the job's own
 * code) ended the job: a timeout, the OOM killer, a signal, `rnx stop`. A job that simply exited
 * non-zero gets no line: its exit code says it, and its own output says why.
 */
import { formatDuration } from '../shared/limits';
import type { JobJson } from './format';

/** The reason line for a finished job, or undefined when the job ended on its own. */
export function reasonLine(j: Pick<JobJson, 'status' | 'exitCode' | 'signal' | 'failureReason' | 'limits'>): string | undefined {
  const code = `exit code ${j.exitCode ?? 'unknown'}`;
  const reason = j.failureReason;
  if (j.status === 'STOPPED') return `[joblet] ${reason || 'stopped'}; ${code}`;
  if (j.status !== 'FAILED') return undefined;
  if (reason.startsWith('out of memory')) return `[joblet] killed: ${reason}; ${code}`;
  if (reason.startsWith('timeout')) {
    const limit = j.limits.timeoutMs ? ` (limit ${formatDuration(j.limits.timeoutMs)})` : '';
    return `[joblet] killed: timeout${limit}; ${code}`;
  }
  if (j.signal) return `[joblet] killed by signal ${j.signal}; ${code}`;
  return undefined;
}
