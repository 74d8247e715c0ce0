/**
 * Renderings of a job's metrics samples: the JSON form (`rnx job metrics --json`, and `current`
 * in `rnx status --json`), the table rows, the summary, and the current-usage lines of
 * `rnx status`. The JSON shape is stable and documented in README.md.
 */
import type { JobMetricsEvent } from '../gen/joblet';
import { duration } from './format';
import { bytes, pct } from './units';

/** A sample as rnx prints it with --json. */
export interface SampleJson {
  jobId: string;
  /** RFC3339 with milliseconds. */
  time: string;
  /** Unix nanoseconds, as a decimal string (the wire's JobMetricsEvent.timestamp). */
  timestamp: string;
  /** Over the interval before `time`; 100 = one core. */
  cpuPercent: number;
  intervalMs: number;
  memoryBytes: number;
  memoryPeakBytes: number;
  /** 0 = no limit. */
  memoryLimitBytes: number;
  diskReadBytes: number;
  diskWriteBytes: number;
  netRecvBytes: number;
  netSentBytes: number;
  processCount: number;
  cpuUsageUsec: number;
  cpuPeriods: number;
  cpuThrottledPeriods: number;
  cpuThrottledUsec: number;
  oomKills: number;
  /** PSI avg10 percentages; null where the host keeps none per cgroup. */
  pressure: { cpuSome: number; memorySome: number; memoryFull: number; ioSome: number; ioFull: number } | null;
  /** The last sample, taken as the job ended. */
  final: boolean;
}

/** The stable JSON form of one event. */
export function sampleJson(e: JobMetricsEvent): SampleJson {
  const d = e.detail;
  const ms = Number(BigInt(e.timestamp || '0') / 1_000_000n);
  return {
    jobId: e.jobUuid,
    time: new Date(ms).toISOString(),
    timestamp: e.timestamp,
    cpuPercent: e.cpuPercent,
    intervalMs: d?.intervalMs ?? 0,
    memoryBytes: e.memoryBytes,
    memoryPeakBytes: d?.memoryPeakBytes ?? 0,
    memoryLimitBytes: e.memoryLimit,
    diskReadBytes: e.diskReadBytes,
    diskWriteBytes: e.diskWriteBytes,
    netRecvBytes: e.netRecvBytes,
    netSentBytes: e.netSentBytes,
    processCount: d?.processCount ?? 0,
    cpuUsageUsec: d?.cpuUsageUsec ?? 0,
    cpuPeriods: d?.cpuPeriods ?? 0,
    cpuThrottledPeriods: d?.cpuThrottledPeriods ?? 0,
    cpuThrottledUsec: d?.cpuThrottledUsec ?? 0,
    oomKills: d?.oomKills ?? 0,
    pressure: d?.pressure ?? null,
    final: d?.final ?? false,
  };
}

/** Header of the samples table. */
export const SAMPLE_HEADER = ['TIME', 'CPU%', 'MEMORY', 'PEAK', 'LIMIT', 'DISK READ', 'DISK WRITE', 'NET RX', 'NET TX', 'PROCS', 'THROTTLED'];

function hms(iso: string): string {
  const d = new Date(iso);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** One table row. */
export function sampleRow(s: SampleJson): string[] {
  return [
    hms(s.time) + (s.final ? '*' : ''),
    pct(s.cpuPercent),
    bytes(s.memoryBytes),
    bytes(s.memoryPeakBytes),
    s.memoryLimitBytes ? bytes(s.memoryLimitBytes) : 'none',
    bytes(s.diskReadBytes),
    bytes(s.diskWriteBytes),
    bytes(s.netRecvBytes),
    bytes(s.netSentBytes),
    String(s.processCount),
    s.cpuPeriods ? pct((100 * s.cpuThrottledPeriods) / s.cpuPeriods) : '-',
  ];
}

/** What the samples add up to. */
export interface Summary {
  samples: number;
  /** Time the samples cover: from the job's cgroup creation (the first sample's window) to the last sample. */
  coveredMs: number;
  cpuAverage: number;
  cpuPeak: number;
  memoryPeak: number;
  memoryLimit: number;
  diskRead: number;
  diskWrite: number;
  netRecv: number;
  netSent: number;
}

/** Averages and peaks of a job's samples (CPU average weighted by each sample's interval); undefined for none. */
export function summarize(samples: SampleJson[]): Summary | undefined {
  if (samples.length === 0) return undefined;
  const last = samples[samples.length - 1]!;
  let weighted = 0;
  let ms = 0;
  for (const s of samples) {
    weighted += s.cpuPercent * s.intervalMs;
    ms += s.intervalMs;
  }
  return {
    samples: samples.length,
    coveredMs: ms,
    cpuAverage: ms > 0 ? weighted / ms : 0,
    cpuPeak: Math.max(...samples.map((s) => s.cpuPercent)),
    memoryPeak: Math.max(...samples.map((s) => Math.max(s.memoryPeakBytes, s.memoryBytes))),
    memoryLimit: last.memoryLimitBytes,
    // Counters are totals since the job started: the newest sample holds them.
    diskRead: last.diskReadBytes,
    diskWrite: last.diskWriteBytes,
    netRecv: last.netRecvBytes,
    netSent: last.netSentBytes,
  };
}

/** The summary as text lines. */
export function summaryLines(s: Summary): string[] {
  const limit = s.memoryLimit ? ` of ${bytes(s.memoryLimit)} limit (${pct((100 * s.memoryPeak) / s.memoryLimit)})` : ' (no limit)';
  return [
    `Summary: ${s.samples} sample${s.samples === 1 ? '' : 's'} covering ${duration(s.coveredMs)}`,
    `  CPU:      average ${pct(s.cpuAverage)}, peak ${pct(s.cpuPeak)} (100% = one core)`,
    `  Memory:   peak ${bytes(s.memoryPeak)}${limit}`,
    `  Disk I/O: ${bytes(s.diskRead)} read, ${bytes(s.diskWrite)} written`,
    `  Network:  ${bytes(s.netRecv)} received, ${bytes(s.netSent)} sent`,
  ];
}

/** `rnx status` rows for a running job's latest sample. */
export function currentUsageRows(s: SampleJson | null | undefined): [string, string][] {
  if (!s) return [];
  const mem = `${bytes(s.memoryBytes)}${s.memoryLimitBytes ? ` of ${bytes(s.memoryLimitBytes)} (${pct((100 * s.memoryBytes) / s.memoryLimitBytes)})` : ''}`;
  return [
    ['CPU Now', `${pct(s.cpuPercent)} (100% = one core)`],
    ['Memory Now', mem],
    ['Processes', String(s.processCount)],
    ['Disk I/O', `${bytes(s.diskReadBytes)} read, ${bytes(s.diskWriteBytes)} written`],
    ['Net I/O', `${bytes(s.netRecvBytes)} received, ${bytes(s.netSentBytes)} sent`],
  ];
}
