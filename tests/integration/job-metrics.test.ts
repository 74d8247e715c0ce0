// test:serial — a busy loop must get a core to itself to show 80% of one.
/**
 * Per-job metrics against a real daemon sampling every second: what a job really uses shows in
 * its samples (a core burnt, 200 MB held, its memory limit, bytes sent over its veth), `rnx job
 * metrics` and `rnx status` print them, the live stream ends with the job, the history survives a
 * daemon restart and goes with the job.
 */
import * as path from 'node:path';
import { ClientError, createClient, Status, type Channel } from 'nice-grpc';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { JobServiceDefinition, type JobMetricsEvent, type JobServiceClient } from '../../src/gen/joblet';
import { TestDaemon } from '../helpers/daemon';
import { nodePems, openChannel } from '../helpers/grpc';

let d: TestDaemon;
const channels: Channel[] = [];
const MiB = 1024 * 1024;

test.before(async () => {
  d = await TestDaemon.start({ configEdit: (y) => y.replace(/jobIntervalSeconds: \d+/, 'jobIntervalSeconds: 1') });
});
test.after(async () => {
  for (const ch of channels) ch.close();
  await d?.destroy();
});

function jobsClient(node: 'default' | 'viewer' = 'default'): JobServiceClient {
  const ch = openChannel(`127.0.0.1:${d.port}`, nodePems(d.rnxConfig, node));
  channels.push(ch);
  return createClient(JobServiceDefinition, ch);
}

type Sample = { jobId: string; time: string; cpuPercent: number; cpuUsageUsec: number; intervalMs: number; memoryBytes: number; memoryPeakBytes: number; memoryLimitBytes: number; netSentBytes: number; netRecvBytes: number; processCount: number; final: boolean };

/** The job's samples as `rnx job metrics --json` prints them. */
async function samples(id: string): Promise<Sample[]> {
  const r = await d.rnx(['job', 'metrics', id, '--json']);
  assert.is(r.code, 0, r.stderr);
  return r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Sample);
}

/** Poll the job's samples until `cond` holds for them. */
async function waitSamples(id: string, cond: (s: Sample[]) => boolean, what: string, ms = 60000): Promise<Sample[]> {
  const until = Date.now() + ms;
  for (;;) {
    const s = await samples(id);
    if (cond(s)) return s;
    if (Date.now() > until) assert.unreachable(`${what}; samples: ${JSON.stringify(s.slice(-3))}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function stop(id: string): Promise<void> {
  const r = await d.rnx(['stop', id]);
  assert.is(r.code, 0, r.stderr);
  await d.waitDone(id);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

test('a job that burns a core shows at least 80% CPU (100% = one core), its CPU time per interval in percent', async () => {
  const id = await d.run(['--network=none', 'sh', '-c', 'while :; do :; done']);
  try {
    // Full-interval samples: the first covers the job's start-up, which is not the loop.
    const s = await waitSamples(id, (x) => x.length >= 6, 'six samples');
    const steady = s.slice(1).map((x) => x.cpuPercent);
    // The unit, against the cgroup's own CPU time: the percentage is the CPU microseconds used in
    // the interval over the interval, ×100.
    for (let i = 1; i < s.length; i++) {
      const want = ((s[i]!.cpuUsageUsec - s[i - 1]!.cpuUsageUsec) / (s[i]!.intervalMs * 1000)) * 100;
      assert.ok(Math.abs(s[i]!.cpuPercent - want) <= 1 + want * 0.02, `sample ${i}: ${s[i]!.cpuPercent}% for ${want.toFixed(2)}% of a core used`);
    }
    // This file runs alone (test:serial), so the loop has a core to itself.
    assert.ok(median(steady) >= 80, `CPU of a busy loop: ${steady.join(', ')}`);
    assert.ok(Math.max(...steady) <= 105, `one loop uses at most one core: ${steady.join(', ')}`);
    assert.ok(s.every((x) => x.intervalMs > 0 && x.processCount >= 1), JSON.stringify(s.map((x) => [x.intervalMs, x.processCount])));
  } finally {
    await stop(id);
  }
});

test('a job that holds 200 MB shows at least 190 MB; rnx status shows its current usage', async () => {
  // The size comes from the argument, so perl builds the string once at run time.
  const id = await d.run(['--network=none', 'perl', '-e', '$x = "a" x ($ARGV[0] * 1048576); sleep 120', '200']);
  try {
    const s = await waitSamples(id, (x) => x.some((y) => y.memoryBytes >= 190 * MiB), 'a sample with 190 MiB');
    assert.ok(Math.max(...s.map((x) => x.memoryPeakBytes)) >= 190 * MiB);
    const human = await d.rnx(['status', id]);
    assert.match(human.stdout, /^CPU Now: +[\d.]+% \(100% = one core\)$/m);
    assert.match(human.stdout, /^Memory Now: +(19\d|2\d\d|[3-4]\d\d)(\.\d)? MiB of 512 MiB \(\d+\.\d%\)$/m);
    assert.match(human.stdout, /^Processes: +1$/m);
    const json = JSON.parse((await d.rnx(['status', '--json', id])).stdout);
    assert.is(json.current.jobId, id);
    assert.ok(json.current.memoryBytes >= 190 * MiB);
  } finally {
    await stop(id);
  }
  const after = JSON.parse((await d.rnx(['status', '--json', id])).stdout);
  assert.is(after.current, null, 'an ended job has no current usage');
  assert.not.match((await d.rnx(['status', id])).stdout, /CPU Now/);
});

test('a --max-memory job shows its limit; rnx job metrics prints a table and a summary against it', async () => {
  const id = await d.run(['--network=none', '--max-memory=64', 'sh', '-c', 'sleep 2.5']);
  await d.waitDone(id);
  const s = await samples(id);
  assert.ok(s.length >= 2, `${s.length} samples`);
  for (const x of s) assert.is(x.memoryLimitBytes, 64 * MiB);
  assert.ok(s[s.length - 1]!.final, 'the last sample is the final one');
  assert.is(s.filter((x) => x.final).length, 1);
  const r = await d.rnx(['job', 'metrics', id]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /^TIME +CPU% +MEMORY +PEAK +LIMIT +DISK READ +DISK WRITE +NET RX +NET TX +PROCS +THROTTLED$/m);
  assert.match(r.stdout, /^\d\d:\d\d:\d\d\* +[\d.]+% .* 64 MiB /m);
  assert.match(r.stdout, new RegExp(`^Summary: ${s.length} samples covering \\d`, 'm'));
  assert.match(r.stdout, /^ {2}CPU: +average [\d.]+%, peak [\d.]+% \(100% = one core\)$/m);
  assert.match(r.stdout, /^ {2}Memory: +peak [\d.]+ (KiB|MiB) of 64 MiB limit \([\d.]+%\)$/m);
});

test('traffic through the job\'s veth is counted as sent and received', async () => {
  const cidr = /^ {2}bridgeCidr: "([\d.]+)\.0\/24"$/m.exec(require('node:fs').readFileSync(d.serverConfig, 'utf8'))![1];
  const gateway = `${cidr}.1`;
  // 200 UDP datagrams of 1000 bytes to the job's own gateway (this test daemon's bridge; the firewall drops them there).
  const send = `use IO::Socket::INET; my $s = IO::Socket::INET->new(PeerAddr => "${gateway}:9", Proto => "udp") or die "socket: $!"; $s->send("x" x 1000) for 1..200; sleep 3`;
  const id = await d.run(['--network=bridge', 'perl', '-e', send]);
  await d.waitDone(id);
  const s = await samples(id);
  const last = s[s.length - 1]!;
  assert.ok(last.netSentBytes >= 200 * 1000, `sent ${last.netSentBytes} bytes`);
  assert.ok(last.netRecvBytes >= 0);
  const none = await d.run(['--network=none', 'true']);
  await d.waitDone(none);
  for (const x of await samples(none)) assert.equal([x.netSentBytes, x.netRecvBytes], [0, 0]);
});

test('StreamJobMetrics: the latest sample at once, then live, and the stream ends with the job (final last)', async () => {
  const id = await d.run(['--network=none', 'sh', '-c', 'sleep 4']);
  const got: JobMetricsEvent[] = [];
  const t0 = Date.now();
  for await (const e of jobsClient('viewer').streamJobMetrics({ jobUuid: id })) got.push(e);
  assert.ok(Date.now() - t0 < 30000);
  assert.ok(got.length >= 2, `${got.length} events`);
  assert.ok(got[got.length - 1]!.detail?.final, 'the last event is the final sample');
  assert.ok(got.every((e) => e.jobUuid === id));
  const ts = got.map((e) => BigInt(e.timestamp));
  assert.ok(ts.every((t, i) => i === 0 || t > ts[i - 1]!), 'in time order, no repeats');
  // A finished job's stream ends at once, with nothing.
  const again: JobMetricsEvent[] = [];
  for await (const e of jobsClient().streamJobMetrics({ jobUuid: id })) again.push(e);
  assert.equal(again, []);
  // --follow prints the history, then the live samples, and exits when the job has ended.
  const live = await d.run(['--network=none', 'sh', '-c', 'sleep 3']);
  const f = await d.rnx(['job', 'metrics', live, '--follow']);
  assert.is(f.code, 0, f.stderr);
  assert.match(f.stderr, /Streaming metrics until the job ends/);
  assert.match(f.stdout, /^\d\d:\d\d:\d\d\* /m);
  assert.match(f.stdout, /^Summary: \d+ samples/m);
  assert.is((JSON.parse((await d.rnx(['status', '--json', live])).stdout) as { status: string }).status, 'COMPLETED');
});

test('GetJobMetrics: ranges and limits on the wire; unknown jobs and bad ranges refused', async () => {
  const id = await d.run(['--network=none', 'sh', '-c', 'sleep 3']);
  await d.waitDone(id);
  const c = jobsClient('viewer');
  const all: JobMetricsEvent[] = [];
  for await (const e of c.getJobMetrics({ jobUuid: id.slice(0, 8), startTime: '0', endTime: '0', limit: 0 })) all.push(e);
  assert.ok(all.length >= 3, `${all.length} samples`);
  const first2: JobMetricsEvent[] = [];
  for await (const e of c.getJobMetrics({ jobUuid: id, startTime: '0', endTime: '0', limit: 2 })) first2.push(e);
  assert.equal(first2, all.slice(0, 2));
  const from = all[1]!.timestamp;
  const tail: JobMetricsEvent[] = [];
  for await (const e of c.getJobMetrics({ jobUuid: id, startTime: from, endTime: '0', limit: 0 })) tail.push(e);
  assert.equal(tail, all.slice(1));
  for (const [req, code, re] of [
    [{ jobUuid: 'ffffffff', startTime: '0', endTime: '0', limit: 0 }, Status.NOT_FOUND, /job 'ffffffff' not found/],
    [{ jobUuid: id, startTime: '5000000000', endTime: '1000000000', limit: 0 }, Status.INVALID_ARGUMENT, /start_time is after end_time/],
    [{ jobUuid: id, startTime: '0', endTime: '0', limit: -1 }, Status.INVALID_ARGUMENT, /limit cannot be negative/],
  ] as const) {
    try {
      for await (const _ of c.getJobMetrics(req)) break;
      assert.unreachable(JSON.stringify(req));
    } catch (err) {
      assert.is((err as ClientError).code, code, (err as ClientError).details);
      assert.match((err as ClientError).details, re);
    }
  }
  const v = await d.rnx(['--node', 'viewer', 'job', 'metrics', id]);
  assert.is(v.code, 0, 'viewer may read job metrics');
});

/** Rows of job_metrics for a job, read from the daemon's database file. */
function storedRows(id: string): number {
  const { DatabaseSync } = require('node:sqlite') as typeof import('node:sqlite');
  const db = new DatabaseSync(path.join(d.stateDir, 'joblet.db'), { readOnly: true });
  try {
    return (db.prepare('SELECT COUNT(*) AS n FROM job_metrics WHERE job_id = ?').get(id) as { n: number }).n;
  } finally {
    db.close();
  }
}

test('the history survives a daemon restart (even SIGKILL) and is deleted with the job', async () => {
  const id = await d.run(['--network=none', 'sh', '-c', 'sleep 2']);
  await d.waitDone(id);
  const before = await samples(id);
  assert.ok(before.length >= 2);
  await d.stop('SIGKILL');
  await d.serve();
  assert.equal(await samples(id), before);
  assert.is(storedRows(id), before.length);
  const del = await d.rnx(['delete', id]);
  assert.is(del.code, 0, del.stderr);
  assert.is(storedRows(id), 0, 'samples go with the job');
  const gone = await d.rnx(['job', 'metrics', id]);
  assert.is(gone.code, 1);
  assert.match(gone.stderr, /not found/);
});

test.run();
