/** Checking what callers ask of monitoring: stream intervals, metric types, history ranges. */
import { InvalidArgumentError } from '../../shared/errors';
import { METRIC_TYPES, type MetricType } from './collector';

/** Interval a stream gets when it asks for 0. */
export const DEFAULT_INTERVAL_SECONDS = 5;
/** Longest stream interval. */
export const MAX_INTERVAL_SECONDS = 3600;

/** Seconds between stream samples: 0 means the default; 1-3600 as asked; anything else is refused. */
export function checkInterval(seconds: number): number {
  if (seconds === 0) return DEFAULT_INTERVAL_SECONDS;
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_INTERVAL_SECONDS) {
    throw new InvalidArgumentError(`interval_seconds must be 1-${MAX_INTERVAL_SECONDS} (0 means the default, ${DEFAULT_INTERVAL_SECONDS}); got ${seconds}`);
  }
  return seconds;
}

// Plurals as the sections are named in the response.
const ALIASES: Record<string, MetricType> = { disks: 'disk', networks: 'network', processes: 'process' };

/** The metric types asked for (case-insensitive; none = all); an unknown one is refused, naming the valid ones. */
export function checkMetricTypes(types: string[]): Set<MetricType> {
  if (types.length === 0) return new Set(METRIC_TYPES);
  const out = new Set<MetricType>();
  for (const raw of types) {
    const t = raw.trim().toLowerCase();
    const known = (METRIC_TYPES as readonly string[]).includes(t) ? (t as MetricType) : ALIASES[t];
    if (!known) throw new InvalidArgumentError(`unknown metric type '${raw.slice(0, 40)}': use ${METRIC_TYPES.join(', ')}`);
    out.add(known);
  }
  return out;
}

/** Unix ms of a Unix-ns time given as decimal text ("" = 0); undefined when it is not a non-negative integer. */
function nsToMs(ns: string): number | undefined {
  const t = ns === '' ? '0' : ns;
  if (!/^\d{1,20}$/.test(t)) return undefined;
  return Number(BigInt(t) / 1_000_000n);
}

/** A history range in Unix ms from the request's Unix ns (0 = from the start / until now). */
export function checkRange(startNs: string, endNs: string, limit: number, nowMs = Date.now()): { fromMs: number; toMs: number; limit: number } {
  const from = nsToMs(startNs);
  const to = nsToMs(endNs);
  if (from === undefined || to === undefined) throw new InvalidArgumentError('start_time and end_time are Unix nanoseconds and cannot be negative');
  if (limit < 0) throw new InvalidArgumentError(`limit cannot be negative (0 = no limit); got ${limit}`);
  const toMs = to === 0 ? nowMs : to;
  if (to !== 0 && from > toMs) throw new InvalidArgumentError('start_time is after end_time');
  return { fromMs: from, toMs, limit };
}
