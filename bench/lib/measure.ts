/**
 * Runners (one timed start of `echo hi` each) and the loops and statistics around them. Every
 * runner checks its output, so a sandbox that fails fast can never pass for a fast sandbox.
 */
import { spawn } from 'node:child_process';
import type { Connection } from '../../src/cli/client';

/** One timed run: wall milliseconds and, when the run misbehaved, why. */
export interface Sample {
  ms: number;
  /** joblet only: when the RunJob reply arrived (the job is spawned and RUNNING). */
  replyMs?: number;
  error?: string;
}

/** Starts one `echo hi` and resolves when it is over. */
export type Runner = () => Promise<Sample>;

/** What `echo hi` prints. */
export const EXPECTED = 'hi\n';

/** A program spawned from this process; the run ends when it exits (stdout read to EOF). */
export function spawnRunner(argv: string[]): Runner {
  return () =>
    new Promise((resolve) => {
      const t0 = performance.now();
      const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (err += d));
      child.on('error', (e) => resolve({ ms: performance.now() - t0, error: e.message }));
      child.on('close', (code, signal) => {
        const ms = performance.now() - t0;
        const ok = code === 0 && out === EXPECTED;
        resolve(ok ? { ms } : { ms, error: `exit ${code ?? signal}, stdout ${JSON.stringify(out)}, stderr ${JSON.stringify(err.trim())}` });
      });
    });
}

/**
 * A job through the daemon: RunJob, then GetJobLogs until the stream ends, which the daemon does
 * when the job has finished. Ids go to `started` so the final statuses can be checked afterwards,
 * outside the timed path.
 */
export function jobletRunner(conn: Connection, started: string[]): Runner {
  return async () => {
    const t0 = performance.now();
    try {
      // Network 'none' (loopback only), like the peers' --unshare-net: the same isolation is compared.
      const res = await conn.jobs.runJob({ command: 'echo', args: ['hi'], network: 'none' });
      const replyMs = performance.now() - t0;
      const uuid = res.job?.uuid;
      if (!uuid) return { ms: replyMs, error: 'RunJob returned no job' };
      started.push(uuid);
      let out = '';
      for await (const chunk of conn.jobs.getJobLogs({ uuid, noFollow: false })) if (chunk.stream === 1) out += chunk.payload.toString();
      const ms = performance.now() - t0;
      return out === EXPECTED ? { ms, replyMs } : { ms, replyMs, error: `job ${uuid} printed ${JSON.stringify(out)}` };
    } catch (err) {
      return { ms: performance.now() - t0, error: err instanceof Error ? err.message : String(err) };
    }
  };
}

/** n runs of every runner, one after the other in rotation, so drift on the host hits all alike. */
export async function interleaved(runners: Map<string, Runner>, n: number, signal: AbortSignal): Promise<Map<string, Sample[]>> {
  const out = new Map<string, Sample[]>([...runners.keys()].map((k) => [k, []]));
  for (let i = 0; i < n; i++) {
    for (const [name, run] of runners) {
      signal.throwIfAborted();
      out.get(name)!.push(await run());
    }
  }
  return out;
}

/** n runs with k in flight at a time; also returns the wall time of the whole batch. */
export async function concurrent(run: Runner, n: number, k: number, signal: AbortSignal): Promise<{ samples: Sample[]; wallMs: number }> {
  const samples: Sample[] = [];
  let next = 0;
  const t0 = performance.now();
  const lane = async () => {
    while (next < n) {
      signal.throwIfAborted();
      next++;
      samples.push(await run());
    }
  };
  await Promise.all(Array.from({ length: Math.min(k, n) }, lane));
  return { samples, wallMs: performance.now() - t0 };
}

/** Summary of one batch. */
export interface Stats {
  median: number;
  p95: number;
  /** Completed runs per second: n / wall time of the batch (sequential: the sum of the runs). */
  perSec: number;
}

/** Median, nearest-rank p95 and rate; wallMs defaults to the sum of the samples (sequential runs). */
export function stats(samples: Sample[], wallMs?: number): Stats {
  const ms = samples.map((s) => s.ms);
  const wall = wallMs ?? ms.reduce((a, b) => a + b, 0);
  return { median: median(ms), p95: p95(ms), perSec: (ms.length * 1000) / wall };
}

/** Median of a non-empty list. */
export function median(values: number[]): number {
  const v = [...values].sort((a, b) => a - b);
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}

/** Nearest-rank 95th percentile of a non-empty list. */
export function p95(values: number[]): number {
  const v = [...values].sort((a, b) => a - b);
  return v[Math.max(0, Math.ceil(0.95 * v.length) - 1)]!;
}

/** The first failed sample of a batch, if any. */
export function firstError(samples: Sample[]): string | undefined {
  return samples.find((s) => s.error !== undefined)?.error;
}
