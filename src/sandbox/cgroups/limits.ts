/**
 * Version-independent half of setLimits and stats: checking the requested limits, turning them into
 * the values the kernel expects, and the one error a limit that cannot be applied becomes.
 */
import { describeError, FailedPreconditionError, InvalidArgumentError } from '../../shared/errors';
import type { CgroupLimits } from './manager';
import type { CgroupFs } from './fs';

/** CFS period used for every CPU quota, microseconds (the kernel default). */
export const CPU_PERIOD_USEC = 100_000;

// The kernel refuses quotas below 1 ms.
const MIN_CPU_QUOTA_USEC = 1000;

/** Human-readable name of each limit, used in every error about it. */
export const LIMIT_NAMES: Record<keyof CgroupLimits, string> = {
  cpuPercent: 'CPU limit',
  cpuCores: 'CPU cores limit',
  memoryBytes: 'memory limit',
  ioBps: 'IO bandwidth limit',
  pids: 'process count limit',
};

/** The error for a limit that was asked for and cannot be applied on this host. */
export function limitFailure(limit: keyof CgroupLimits, value: unknown, reason: string): FailedPreconditionError {
  return new FailedPreconditionError(`cannot apply ${LIMIT_NAMES[limit]} (${limit}=${JSON.stringify(value)}): ${reason}`);
}

/** Writes one limit file; a refusal by the kernel becomes the limit's FAILED_PRECONDITION error. */
export function writeLimit(fs: CgroupFs, limit: keyof CgroupLimits, value: unknown, file: string, data: string): void {
  try {
    fs.write(file, data);
  } catch (err) {
    throw limitFailure(limit, value, describeError(err));
  }
}

/** CPU quota in microseconds per CPU_PERIOD_USEC for a percentage of one CPU. */
export function cpuQuotaUsec(cpuPercent: number): number {
  return Math.round(cpuPercent * (CPU_PERIOD_USEC / 100));
}

const CPU_LIST = /^\d+(-\d+)?(,\d+(-\d+)?)*$/;
const DEVICE = /^\d+:\d+$/;

function positiveInteger(n: unknown): boolean {
  return typeof n === 'number' && Number.isSafeInteger(n) && n > 0;
}

/** Rejects limits no cgroup could take; runs before any file is written. */
export function validateLimits(limits: CgroupLimits): void {
  const bad = (limit: keyof CgroupLimits, why: string) =>
    new InvalidArgumentError(`invalid ${LIMIT_NAMES[limit]} (${limit}=${JSON.stringify(limits[limit])}): ${why}`);
  const { cpuPercent, cpuCores, memoryBytes, ioBps, pids } = limits;
  if (cpuPercent !== undefined) {
    if (!Number.isFinite(cpuPercent) || cpuQuotaUsec(cpuPercent) < MIN_CPU_QUOTA_USEC) {
      throw bad('cpuPercent', `must be at least ${(MIN_CPU_QUOTA_USEC * 100) / CPU_PERIOD_USEC} (percent of one CPU)`);
    }
  }
  if (cpuCores !== undefined && !CPU_LIST.test(cpuCores)) throw bad('cpuCores', 'expected a CPU list such as "0-1,3"');
  if (memoryBytes !== undefined && !positiveInteger(memoryBytes)) throw bad('memoryBytes', 'must be a positive integer');
  if (pids !== undefined && !positiveInteger(pids)) throw bad('pids', 'must be a positive integer');
  if (ioBps !== undefined) {
    if (!positiveInteger(ioBps.bps)) throw bad('ioBps', 'bps must be a positive integer');
    if (ioBps.devices.length === 0) throw bad('ioBps', 'needs at least one block device ("major:minor")');
    const wrong = ioBps.devices.find((d) => !DEVICE.test(d));
    if (wrong !== undefined) throw bad('ioBps', `device "${wrong}" is not "major:minor"`);
  }
}

/** Parses "key value" lines (cpu.stat, memory.events, memory.oom_control) into numbers. */
export function parseKeyed(text: string | undefined): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of (text ?? '').split('\n')) {
    const [key, value] = line.trim().split(/\s+/);
    if (key && value !== undefined && /^\d+$/.test(value)) out.set(key, Number(value));
  }
  return out;
}

/** Parses a file holding one integer; undefined when absent or not a number (e.g. "max"). */
export function parseNumber(text: string | undefined): number | undefined {
  const t = text?.trim();
  return t !== undefined && /^\d+$/.test(t) ? Number(t) : undefined;
}
