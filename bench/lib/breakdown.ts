/**
 * The per-step start-up breakdown: the daemon logs, per job, CLOCK_MONOTONIC stamps of each step
 * (src/daemon/jobs/startup-log.ts); the bench knows when it sent RunJob on the same clock. Lining
 * them up gives where the time from RunJob to the first output byte went.
 */
import { median } from './measure';

/** One job's stamps (µs), in the order the daemon logged them. */
export interface JobStamps {
  warm: boolean;
  stamps: Array<[string, number]>;
}

/** Every start-up line in a daemon log, by job id. */
export function parseStartupLog(log: string): Map<string, JobStamps> {
  const out = new Map<string, JobStamps>();
  for (const m of log.matchAll(/job ([0-9a-f-]{36}): started in [\d.]+ ms from a (warm|cold) init: .*? \| mono (.*)$/gm)) {
    const stamps = m[3]!.split(' ').map((kv) => {
      const at = kv.lastIndexOf('=');
      return [kv.slice(0, at).replace(/-/g, ' '), Number(kv.slice(at + 1))] as [string, number];
    });
    out.set(m[1]!, { warm: m[2] === 'warm', stamps });
  }
  return out;
}

/** Rows of a breakdown: step label → durations (ms) over the jobs. */
export interface Breakdown {
  rows: Array<{ step: string; ms: number[] }>;
  /** RunJob sent → first output byte, per job. */
  total: number[];
  jobs: number;
  warm: number;
}

/** Labels for the stamps that are not checklist steps. */
const LABELS: Record<string, string> = {
  claim: 'RunJob → init claimed (gRPC, checks, store, workspace, cgroup, network)',
  spec: 'spec read by the init',
  exec: 'execve',
  first: 'first output byte',
};

/** Durations between consecutive stamps, from RunJob sent (`sentAt`) to the first output byte. */
export function breakdown(jobs: Array<{ sentAt: number; stamps: JobStamps }>): Breakdown {
  const rows = new Map<string, number[]>();
  const total: number[] = [];
  let warm = 0;
  for (const { sentAt, stamps } of jobs) {
    if (stamps.warm) warm++;
    let prev = sentAt;
    let end = sentAt;
    for (const [name, at] of stamps.stamps) {
      if (name === 'spawned' || name === 'ready') continue; // pool history, before the job existed
      const label = LABELS[name] ?? name;
      rows.set(label, [...(rows.get(label) ?? []), (at - prev) / 1000]);
      prev = at;
      end = at;
    }
    total.push((end - sentAt) / 1000);
  }
  return { rows: [...rows].map(([step, ms]) => ({ step, ms })), total, jobs: jobs.length, warm };
}

/** Median of each row, for printing. */
export function medians(b: Breakdown): Array<[string, number]> {
  return [...b.rows.map((r) => [r.step, median(r.ms)] as [string, number]), ['total: RunJob sent → first output byte', median(b.total)]];
}
