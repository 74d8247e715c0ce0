/**
 * The limits a job runs with: what it asked for, checked against what this host has and the
 * server's ceilings, with the server's defaults for the rest. Memory and pids are always finite.
 * Every refusal names the flag and the allowed range.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import { InvalidArgumentError } from '../../shared/errors';
import { printable } from '../../shared/ids';
import { formatCores, formatDuration, formatSize, parseCores, parseDuration } from '../../shared/limits';
import type { RunJobRequest } from '../../gen/joblet';
import type { JobLimitsRecord } from '../../store/job-record';

/** Limits in force for one job; 0 / '' = not limited (stored with the job as is). */
export type JobLimits = JobLimitsRecord;

/** The server's limit settings (config `limits:`). */
export interface LimitSettings {
  defaultMemoryMB: number;
  defaultPids: number;
  defaultCpuPercent: number;
  defaultIoBps: number;
  defaultTimeoutSeconds: number;
  defaultDiskQuotaBytes: number;
  maxCpuPercent: number;
  maxMemoryMB: number;
  maxPids: number;
  maxIoBps: number;
  maxTimeoutSeconds: number;
  maxDiskBytes: number;
}

/** What the host offers, read once at start-up. */
export interface HostCapacity {
  cpus: number[];
  memoryBytes: number;
}

/** The CPUs this daemon may use (its cpuset) and the machine's memory. */
export function readHostCapacity(): HostCapacity {
  let cpus: number[] = [];
  for (const f of ['/sys/fs/cgroup/cpuset/cpuset.effective_cpus', '/sys/fs/cgroup/cpuset.cpus.effective', '/sys/devices/system/cpu/online']) {
    try {
      const text = fs.readFileSync(f, 'utf8').trim();
      if (text) {
        cpus = parseCores('cpuset', text);
        break;
      }
    } catch {
      /* try the next source */
    }
  }
  if (cpus.length === 0) cpus = os.cpus().map((_, i) => i);
  return { cpus, memoryBytes: os.totalmem() };
}

const MB = 1024 * 1024;

/** Resolve a request's limits; throws InvalidArgumentError naming the flag. */
export function resolveLimits(req: RunJobRequest, s: LimitSettings, host: HostCapacity): JobLimits {
  const cpuCeiling = s.maxCpuPercent || 100 * host.cpus.length;
  const memCeilingMB = s.maxMemoryMB || Math.floor(host.memoryBytes / MB);
  let cores: number[] = [];
  if (req.cpuCores) {
    cores = parseCores('--cpu-cores', req.cpuCores);
    const missing = cores.filter((c) => !host.cpus.includes(c));
    if (missing.length) throw new InvalidArgumentError(`--cpu-cores: core ${missing.join(', ')} does not exist on this server (available: ${formatCores(host.cpus)})`);
  }
  const cpuPercent = pick('--max-cpu', req.maxCpu, s.defaultCpuPercent, 1, cores.length ? Math.min(cpuCeiling, 100 * cores.length) : cpuCeiling, 'percent of one core');
  const memoryMB = pick('--max-memory', req.maxMemory, s.defaultMemoryMB, 4, memCeilingMB, 'MB');
  const ioBps = pick('--max-iobps', req.maxIoBps, s.defaultIoBps, 1024, s.maxIoBps || 2147483647, 'bytes per second');
  const pids = pick('--max-pids', req.maxPids, s.defaultPids, 1, s.maxPids, 'processes and threads');
  const diskBytes = pick('--max-disk', int64('--max-disk', req.maxDiskBytes), s.defaultDiskQuotaBytes, 65536, s.maxDiskBytes, 'bytes');
  let timeoutMs = s.defaultTimeoutSeconds * 1000;
  if (req.timeout) timeoutMs = parseDuration('--timeout', req.timeout, s.maxTimeoutSeconds * 1000);
  if (cores.length && req.maxCpu > 100 * cores.length) {
    throw new InvalidArgumentError(`--max-cpu: ${req.maxCpu} is more than the ${cores.length} core(s) given with --cpu-cores can provide; allowed: 1-${100 * cores.length}`);
  }
  return { cpuPercent, cpuCores: formatCores(cores), memoryBytes: memoryMB * MB, ioBps, pids, diskBytes, timeoutMs };
}

/** An int64 field (decoded as text so any value decodes) as a number; out-of-range values are refused. */
export function int64(flag: string, text: string): number {
  if (text === '') return 0;
  const n = Number(text);
  if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(n)) throw new InvalidArgumentError(`${flag}: ${printable(text)} is out of range`);
  return n;
}

/** The asked value if given (checked against min..max), else the default. */
function pick(flag: string, asked: number, def: number, min: number, max: number, unit: string): number {
  if (!Number.isSafeInteger(asked) || asked < 0) throw new InvalidArgumentError(`${flag}: ${asked} is negative; allowed: ${min}-${max} ${unit}`);
  if (asked === 0) return def;
  if (asked < min || asked > max) {
    const shown = unit === 'bytes' ? `${formatSize(min)}-${formatSize(max)}` : `${min}-${max} ${unit}`;
    throw new InvalidArgumentError(`${flag}: ${asked} is out of range; allowed on this server: ${shown}`);
  }
  return asked;
}

/** The limits as a short human line, e.g. "memory 512MB, pids 512, cpu 50%". */
export function describeLimits(l: JobLimits): string {
  const parts = [`memory ${formatSize(l.memoryBytes)}`, `pids ${l.pids}`, `disk ${formatSize(l.diskBytes)}`];
  if (l.cpuPercent) parts.push(`cpu ${l.cpuPercent}%`);
  if (l.cpuCores) parts.push(`cores ${l.cpuCores}`);
  if (l.ioBps) parts.push(`io ${l.ioBps} B/s`);
  if (l.timeoutMs) parts.push(`timeout ${formatDuration(l.timeoutMs)}`);
  return parts.join(', ');
}
