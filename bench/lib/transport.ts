/**
 * Output throughput: 1 GiB printed by one job to a client that follows it (what `rnx run --wait`
 * does), against the transport floor, a bare nice-grpc mTLS server streaming the same bytes from
 * memory in 64 KiB chunks (transport-server.ts), consumed by the same in-process client. Runs
 * alternate, so load on the host hits both alike; the daemon's RSS is sampled throughout.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { benchClient, type BenchClient } from './client';
import type { BenchDaemon } from './daemon';
import { median } from './measure';

/** One streaming run. */
export interface StreamRun {
  ms: number;
  bytes: number;
  /** joblet: notices received (a follower that keeps up gets none). */
  notices?: string[];
  /** joblet: daemon RSS growth over the run (KiB). */
  rssGrowthKb?: number;
}

/** Medians over the runs. */
export interface ThroughputResult {
  bytes: number;
  floor: StreamRun[];
  joblet: StreamRun[];
  /** `rnx run --wait` into a pipe, one run (the real CLI as a user runs it). */
  cli?: StreamRun;
}

/** MB/s (10^6 bytes per second) of a run. */
export function mbps(r: StreamRun): number {
  return r.bytes / 1e6 / (r.ms / 1000);
}

/** Median MB/s of runs. */
export function medianMbps(runs: StreamRun[]): number {
  return median(runs.map(mbps));
}

async function startFloor(serverConfig: string): Promise<{ proc: ChildProcess; port: number }> {
  const script = path.join(__dirname, 'transport-server.ts');
  const proc = spawn(process.execPath, ['--import', 'tsx', script, serverConfig], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (d) => {
      out += d;
      const m = /^(\d+)\n/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    proc.once('exit', (code) => reject(new Error(`transport-floor server exited (${code})`)));
  });
  return { proc, port };
}

async function floorRun(client: BenchClient, bytes: number): Promise<StreamRun> {
  const t0 = performance.now();
  let got = 0;
  for await (const c of client.jobs.getJobLogs({ uuid: `bytes:${bytes}`, noFollow: false })) got += c.payload.length;
  return { ms: performance.now() - t0, bytes: got };
}

async function jobletRun(daemon: BenchDaemon, client: BenchClient, bytes: number): Promise<StreamRun> {
  const before = daemon.rssKb();
  let peak = before;
  const timer = setInterval(() => (peak = Math.max(peak, daemon.rssKb())), 50);
  try {
    const t0 = performance.now();
    const res = await client.jobs.runJob({ command: 'head', args: ['-c', String(bytes), '/dev/zero'], network: 'none' } as Parameters<BenchClient['jobs']['runJob']>[0]);
    let got = 0;
    const notices: string[] = [];
    for await (const c of client.jobs.getJobLogs({ uuid: res.job!.uuid, noFollow: false })) {
      if (c.stream === 1) got += c.payload.length;
      else notices.push(c.payload.toString().trim());
    }
    return { ms: performance.now() - t0, bytes: got, notices, rssGrowthKb: peak - before };
  } finally {
    clearInterval(timer);
  }
}

async function cliRun(daemon: BenchDaemon, bytes: number): Promise<StreamRun> {
  const t0 = performance.now();
  const child = spawn(daemon.rnx, ['--config', daemon.rnxConfig, 'run', '--wait', '--network=none', 'head', '-c', String(bytes), '/dev/zero'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let got = 0;
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (got += d.length));
  child.stderr!.on('data', (d) => (err += d));
  const code = await new Promise<number | null>((r) => child.on('close', r));
  if (code !== 0) throw new Error(`rnx run --wait head -c ${bytes}: exit ${code}: ${err.trim()}`);
  return { ms: performance.now() - t0, bytes: got, notices: err.trim() ? [err.trim()] : [] };
}

/** `runs` alternating runs of the floor and of joblet, then one through the CLI. */
export async function throughput(daemon: BenchDaemon, client: BenchClient, bytes: number, runs: number, signal: AbortSignal): Promise<ThroughputResult> {
  const floor = await startFloor(daemon.serverConfig);
  const floorClient = benchClient(daemon.rnxConfig, `127.0.0.1:${floor.port}`);
  const out: ThroughputResult = { bytes, floor: [], joblet: [] };
  try {
    await floorRun(floorClient, 1 << 20); // connection and TLS set up outside the timing
    for (let i = 0; i < runs; i++) {
      signal.throwIfAborted();
      out.floor.push(await floorRun(floorClient, bytes));
      signal.throwIfAborted();
      out.joblet.push(await jobletRun(daemon, client, bytes));
    }
    signal.throwIfAborted();
    out.cli = await cliRun(daemon, bytes);
  } finally {
    floorClient.close();
    floor.proc.kill('SIGKILL');
  }
  return out;
}
