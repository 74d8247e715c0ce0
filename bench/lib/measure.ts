/**
 * Runners (one timed start of `echo hi` each) and the loops and statistics around them. Every
 * runner checks its output, so a sandbox that fails fast can never pass for a fast sandbox.
 */
import { spawn } from 'node:child_process';
import type { BenchClient } from './client';

/** One timed run: wall milliseconds and, when the run misbehaved, why. */
export interface Sample {
  /** Start → end (the process exited, or the job's log stream ended). */
  ms: number;
  /** Start → the first byte of output arrived. */
  firstMs?: number;
  /** joblet only: when the RunJob reply arrived (the job is created; its start is under way). */
  replyMs?: number;
  /** joblet only: the job and CLOCK_MONOTONIC µs when RunJob was sent (to line up with the daemon's log). */
  job?: { id: string; sentAt: number };
  error?: string;
}

/** Starts one run and resolves when it is over. */
export type Runner = () => Promise<Sample>;

/** What `echo hi` prints. */
export const EXPECTED = 'hi\n';

/** CLOCK_MONOTONIC in µs: the clock the daemon stamps its log with. */
export function monoMicros(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/** A program spawned from this process; the run ends when it exits (stdout read to EOF). */
export function spawnRunner(argv: string[], expected: string | RegExp = EXPECTED): Runner {
  return () =>
    new Promise((resolve) => {
      const t0 = performance.now();
      let firstMs: number | undefined;
      const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => {
        firstMs ??= performance.now() - t0;
        out += d;
      });
      child.stderr.on('data', (d) => (err += d));
      child.on('error', (e) => resolve({ ms: performance.now() - t0, error: e.message }));
      child.on('close', (code, signal) => {
        const ms = performance.now() - t0;
        const ok = code === 0 && (typeof expected === 'string' ? out === expected : expected.test(out));
        resolve(ok ? { ms, firstMs } : { ms, firstMs, error: `exit ${code ?? signal}, stdout ${JSON.stringify(out.slice(0, 200))}, stderr ${JSON.stringify(err.trim().slice(0, 300))}` });
      });
    });
}

/**
 * `command args` as a job through the daemon: RunJob, then GetJobLogs until the stream ends, which
 * the daemon does when the job has finished. Job ids go to `started` so the final statuses can be
 * checked afterwards, outside the timed path.
 */
export function jobletRunner(client: BenchClient, started: string[], network = 'none', command = 'echo', args = ['hi'], expected = EXPECTED): Runner {
  return async () => {
    const t0 = performance.now();
    const sentAt = monoMicros();
    try {
      const res = await client.jobs.runJob({ command, args, network } as Parameters<BenchClient['jobs']['runJob']>[0]);
      const replyMs = performance.now() - t0;
      const id = res.job?.uuid;
      if (!id) return { ms: replyMs, error: 'RunJob returned no job' };
      started.push(id);
      let out = '';
      let firstMs: number | undefined;
      for await (const chunk of client.jobs.getJobLogs({ uuid: id, noFollow: false })) {
        if (chunk.stream === 1) {
          firstMs ??= performance.now() - t0;
          out += chunk.payload.toString();
        }
      }
      const ms = performance.now() - t0;
      const job = { id, sentAt };
      return out === expected ? { ms, replyMs, firstMs, job } : { ms, replyMs, firstMs, job, error: `job ${id} printed ${JSON.stringify(out.slice(0, 200))}` };
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
export function stats(samples: Sample[], wallMs?: number, pick: (s: Sample) => number | undefined = (s) => s.ms): Stats {
  const ms = samples.map(pick).filter((v): v is number => v !== undefined);
  const wall = wallMs ?? samples.reduce((a, s) => a + s.ms, 0);
  return { median: median(ms), p95: p95(ms), perSec: (samples.length * 1000) / wall };
}

/** Median of a list (NaN when empty). */
export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const v = [...values].sort((a, b) => a - b);
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}

/** Nearest-rank 95th percentile of a list (NaN when empty). */
export function p95(values: number[]): number {
  if (values.length === 0) return NaN;
  const v = [...values].sort((a, b) => a - b);
  return v[Math.max(0, Math.ceil(0.95 * v.length) - 1)]!;
}

/** The first failed sample of a batch, if any. */
export function firstError(samples: Sample[]): string | undefined {
  return samples.find((s) => s.error !== undefined)?.error;
}

/** Fail loudly on the first misbehaving run: its timing would be meaningless. */
export function check(name: string, samples: Sample[]): void {
  const err = firstError(samples);
  if (err) throw new Error(`${name}: ${samples.filter((s) => s.error).length} of ${samples.length} runs failed; first: ${err}`);
}
