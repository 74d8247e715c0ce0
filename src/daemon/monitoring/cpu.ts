/**
 * CPU: /proc/stat counters (USER_HZ ticks) and the percentages between two readings of them.
 * Percentages are of all CPUs for the totals and of one CPU for each per-core entry.
 */
import type { CPUMetrics } from '../../gen/joblet';

/** Tick counters of one CPU line, grouped the way the API reports them. */
export interface CpuTimes {
  user: number;
  system: number;
  idle: number;
  iowait: number;
  steal: number;
  total: number;
}

/** One reading of /proc/stat. */
export interface CpuCounters {
  all: CpuTimes;
  cores: CpuTimes[];
  /** Boot time, Unix seconds (btime). */
  bootTime: number;
}

function times(fields: number[]): CpuTimes {
  // user nice system idle iowait irq softirq steal [guest guest_nice: already inside user and nice]
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = fields;
  return { user: user + nice, system: system + irq + softirq, idle, iowait, steal, total: user + nice + system + idle + iowait + irq + softirq + steal };
}

/** Parse /proc/stat. */
export function parseProcStat(text: string): CpuCounters {
  let all = times([]);
  const cores: CpuTimes[] = [];
  let bootTime = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('cpu')) {
      const [name, ...rest] = line.trim().split(/\s+/);
      const t = times(rest.map(Number));
      if (name === 'cpu') all = t;
      else cores.push(t);
    } else if (line.startsWith('btime ')) {
      bootTime = Number(line.slice(6));
    }
  }
  return { all, cores, bootTime };
}

function pct(part: number, whole: number): number {
  return whole > 0 ? round2((100 * part) / whole) : 0;
}

/** Round to two decimals: more is noise, and it keeps JSON output short. */
export function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

function delta(now: CpuTimes, prev: CpuTimes | undefined): CpuTimes {
  // Without an earlier reading (or after a CPU came online) the counters since boot are the window.
  if (!prev || now.total <= prev.total) return now;
  return {
    user: now.user - prev.user,
    system: now.system - prev.system,
    idle: now.idle - prev.idle,
    iowait: now.iowait - prev.iowait,
    steal: now.steal - prev.steal,
    total: now.total - prev.total,
  };
}

/** Busy share of a window: everything but idle and iowait. */
function usage(d: CpuTimes): number {
  return pct(d.total - d.idle - d.iowait, d.total);
}

/** CPU section from two readings (prev may be absent: then since boot) and the load averages. */
export function cpuMetrics(now: CpuCounters, prev: CpuCounters | undefined, loadAverage: number[]): CPUMetrics {
  const d = delta(now.all, prev?.all);
  return {
    cores: now.cores.length,
    usagePercent: usage(d),
    userTime: pct(d.user, d.total),
    systemTime: pct(d.system, d.total),
    idleTime: pct(d.idle, d.total),
    ioWaitTime: pct(d.iowait, d.total),
    stealTime: pct(d.steal, d.total),
    loadAverage: loadAverage.map(round2),
    perCoreUsage: now.cores.map((c, i) => usage(delta(c, prev?.cores[i]))),
  };
}
