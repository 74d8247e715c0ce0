/**
 * Scale: N concurrent `sleep S` jobs (network none) submitted as fast as the daemon takes them
 * from one in-process client. Measures how long until all run, how many ran at once, the
 * daemon's RSS, how long `rnx list` (the real CLI) and ListJobs take meanwhile, and checks that
 * every job completed with exit code 0.
 */
import { spawn } from 'node:child_process';
import type { BenchClient } from './client';
import type { BenchDaemon } from './daemon';

/** What the scale run showed. */
export interface ScaleResult {
  jobs: number;
  sleepSeconds: number;
  /** Submitting all (every RunJob answered), ms. */
  submitMs: number;
  /** Until the last job was RUNNING (or ended), ms from the first RunJob. */
  allStartedMs: number;
  /** Most jobs RUNNING at one time (sampled). */
  peakRunning: number;
  /** Daemon RSS before and at its peak, KiB. */
  rssBeforeKb: number;
  rssPeakKb: number;
  /** `rnx list` wall time (CLI start-up included) and the ListJobs call alone, at peak, ms. */
  cliListMs: number;
  listJobsMs: number;
  /** Jobs that did not end COMPLETED with exit code 0. */
  failed: string[];
  /** From the first RunJob to the last job's end, ms. */
  totalMs: number;
}

async function timedList(daemon: BenchDaemon): Promise<number> {
  const t0 = performance.now();
  const child = spawn(daemon.rnx, ['--config', daemon.rnxConfig, 'list'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const code = await new Promise<number | null>((r) => child.on('close', r));
  if (code !== 0) throw new Error(`rnx list failed (${code}): ${err.trim()}`);
  return performance.now() - t0;
}

/** Runs the scale test; `inFlight` RunJob calls at a time. */
export async function scale(daemon: BenchDaemon, client: BenchClient, jobs: number, sleepSeconds: number, inFlight: number, signal: AbortSignal): Promise<ScaleResult> {
  const rssBeforeKb = daemon.rssKb();
  let rssPeakKb = rssBeforeKb;
  const rssTimer = setInterval(() => (rssPeakKb = Math.max(rssPeakKb, daemon.rssKb())), 200);
  const ids: string[] = [];
  const t0 = performance.now();
  try {
    let next = 0;
    const lane = async () => {
      while (next < jobs) {
        signal.throwIfAborted();
        next++;
        const r = await client.jobs.runJob({ command: 'sleep', args: [String(sleepSeconds)], network: 'none' } as Parameters<BenchClient['jobs']['runJob']>[0]);
        ids.push(r.job!.uuid);
      }
    };
    await Promise.all(Array.from({ length: inFlight }, lane));
    const submitMs = performance.now() - t0;
    const mine = new Set(ids);
    let peakRunning = 0;
    let allStartedMs = 0;
    let cliListMs = 0;
    let listJobsMs = 0;
    for (;;) {
      signal.throwIfAborted();
      const l0 = performance.now();
      const { jobs: all } = await client.jobs.listJobs({});
      const listMs = performance.now() - l0;
      const ours = all.filter((j) => mine.has(j.uuid));
      const running = ours.filter((j) => j.status === 'RUNNING').length;
      const pending = ours.filter((j) => j.status === 'INITIALIZING').length;
      if (running > peakRunning) {
        peakRunning = running;
        listJobsMs = listMs;
        // The CLI at (close to) the busiest moment; at most a few times, it starts a process.
        if (running >= jobs * 0.5 && cliListMs === 0) cliListMs = await timedList(daemon);
      }
      if (!allStartedMs && pending === 0) allStartedMs = performance.now() - t0;
      if (ours.every((j) => ['COMPLETED', 'FAILED', 'STOPPED'].includes(j.status))) {
        if (cliListMs === 0) cliListMs = await timedList(daemon);
        const failed = ours.filter((j) => j.status !== 'COMPLETED' || j.exitCode !== 0).map((j) => `${j.uuid} ${j.status} ${j.exitCode}${j.detail?.failureReason ? ` (${j.detail.failureReason})` : ''}`);
        return { jobs, sleepSeconds, submitMs, allStartedMs, peakRunning, rssBeforeKb, rssPeakKb, cliListMs, listJobsMs, failed, totalMs: performance.now() - t0 };
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    clearInterval(rssTimer);
  }
}
