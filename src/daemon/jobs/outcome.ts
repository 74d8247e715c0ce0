/**
 * How a job ended, from how its PID 1 ended, why it was stopped (if it was) and what its cgroup
 * saw. OOM kills are read from the cgroup's counter, never guessed from an exit status.
 */
import * as os from 'node:os';
import type { CgroupStats } from '../../sandbox/cgroups/manager';
import type { JobRecord, JobUsageRecord } from '../../store/job-record';

/** Why the daemon ended a job, and the status that gives. */
export interface StopCause {
  reason: string;
  status: 'STOPPED' | 'FAILED';
}

/** The job's final fields from its exit. */
export function exitOutcome(exit: { code: number | null; signal: NodeJS.Signals | null }, stop: StopCause | undefined): Partial<JobRecord> {
  const signum = exit.signal ? os.constants.signals[exit.signal] : undefined;
  const exitCode = exit.code ?? (signum !== undefined ? 128 + signum : -1);
  const signal = exit.signal ?? undefined;
  if (stop) return { status: stop.status, exitCode, signal, failureReason: stop.reason };
  if (exit.signal) return { status: 'FAILED', exitCode, signal, failureReason: `killed by signal ${exit.signal} (exit code ${exitCode})` };
  if (exitCode === 0) return { status: 'COMPLETED', exitCode };
  return { status: 'FAILED', exitCode, failureReason: `exited with code ${exitCode}` };
}

/** Usage as stored, from cgroup counters. */
export function usageFrom(stats: CgroupStats): JobUsageRecord {
  return {
    cpuSeconds: (stats.cpuUsageUsec ?? 0) / 1e6,
    memoryPeakBytes: stats.memoryPeakBytes ?? 0,
    oomKills: stats.oomKills ?? 0,
  };
}

/**
 * A job that failed while the kernel OOM-killed something in it failed for lack of memory: say
 * so, with the limit, and report 137 (SIGKILL) as the shells do.
 */
export function withOomCause(result: Partial<JobRecord>, usage: JobUsageRecord, memoryBytes: number): Partial<JobRecord> {
  if (usage.oomKills === 0 || result.status !== 'FAILED') return result;
  const exitCode = result.signal === 'SIGKILL' || result.exitCode === 137 ? 137 : result.exitCode;
  return { ...result, exitCode, failureReason: `out of memory (limit ${Math.round(memoryBytes / 1048576)} MB)` };
}
