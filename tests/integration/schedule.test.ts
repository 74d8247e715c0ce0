/**
 * One-shot schedules and cancel against a real daemon, through rnx and over the wire: output,
 * accuracy, durability across kill -9, the misfire grace, and refusals that create nothing.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TestDaemon } from '../helpers/daemon';
import { Status, allRpcs, callRpc, nodePems, openChannel } from '../helpers/grpc';

let d: TestDaemon;
test.before(async () => {
  d = await TestDaemon.start({ configEdit: (y) => y.replace(/misfireGraceSeconds: \d+/, 'misfireGraceSeconds: 15') });
});
test.after(async () => {
  await d?.destroy();
});

type Json = Record<string, any>;
const waitDone = async (id: string, ms?: number): Promise<Json> => (await d.waitDone(id, ms)) as Json;
const status = async (id: string): Promise<Json> => JSON.parse((await d.rnx(['status', '--json', id])).stdout);
const jobs = async (): Promise<Json[]> => JSON.parse((await d.rnx(['list', '--json'])).stdout);

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 30000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const entered = (j: Json, s: string) => Date.parse((j.history as { status: string; time: string }[]).find((h) => h.status === s)?.time ?? '');

test('--schedule=5s prints the scheduled job and runs it within 1 s of its time', async () => {
  const r = await d.rnx(['run', '--schedule=5s', 'echo', 'later']);
  assert.is(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.match(lines[0]!, /^ID: [0-9a-f-]{36}$/);
  assert.is(lines[1], 'Command: echo later');
  assert.is(lines[2], 'Status: SCHEDULED');
  assert.match(lines[3]!, /^Scheduled Time: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z UTC\)$/);
  // rnx prints the time left when the answer arrives (a loaded host may take a while).
  assert.match(lines[4]!, /^Runs: (in [1-5]s|now)$/);
  const id = lines[0]!.slice(4);
  const done = await waitDone(id, 30000);
  assert.is(done.status, 'COMPLETED');
  assert.is((await d.rnx(['log', id])).stdout, 'later\n');
  const late = entered(done, 'INITIALIZING') - Date.parse(String(done.scheduledTime));
  assert.ok(late >= 0 && late < 1000, `fired ${late} ms after its time`);
  assert.equal(done.history.map((h: Json) => h.status), ['SCHEDULED', 'INITIALIZING', 'RUNNING', 'COMPLETED']);
  const shown = await d.rnx(['status', id]);
  assert.match(shown.stdout, /^States: +SCHEDULED +\d{4}-.*\n +INITIALIZING +\d{4}-.*\n +RUNNING +\d{4}-.*\n +COMPLETED +\d{4}-/m);
});

test('status of a scheduled job: SCHEDULED, no exit code, the time left, not started', async () => {
  const id = await d.run(['--schedule=1h', 'true']);
  const j = await status(id);
  assert.is(j.status, 'SCHEDULED');
  assert.is(j.exitCode, null);
  const human = await d.rnx(['status', id]);
  assert.match(human.stdout, /^Scheduled: +\d{4}-.* UTC\), in (59m \d\ds|1h 00m)$/m);
  assert.match(human.stdout, /^Started: +not yet$/m);
  const listed = await d.rnx(['list', '--status=scheduled']);
  assert.match(listed.stdout, new RegExp(`^${id} +SCHEDULED +\\d{4}-`, 'm'));
  await d.rnx(['cancel', id]);
  assert.match((await d.rnx(['status', id])).stdout, /^Started: +never$/m);
});

test('rnx log and run --wait wait for a scheduled job to start, then follow it', async () => {
  const r = await d.rnx(['run', '--schedule=2s', '--wait', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
  assert.is(r.code, 3, r.stderr);
  assert.is(r.stdout, 'out\n');
  assert.is(r.stderr, 'err\n');
});

test('every accepted form: durations summed, RFC3339 with and without zone, HH:MM, SDK forms over the wire', async () => {
  const now = Date.now();
  // A relative schedule is resolved while rnx runs: it must fall inside that call's window.
  const window = { from: 0, to: 0 };
  const at = async (spec: string): Promise<number> => {
    window.from = Date.now();
    const r = await d.rnx(['run', `--schedule=${spec}`, '--json', 'true']);
    window.to = Date.now();
    assert.is(r.code, 0, `${spec}: ${r.stderr}`);
    const j = JSON.parse(r.stdout);
    await d.rnx(['cancel', j.id]);
    return Date.parse(j.scheduledTime);
  };
  const within = (got: number, delta: number, what: string) =>
    assert.ok(got >= window.from + delta - 1000 && got <= window.to + delta + 1000, `${what}: ${new Date(got).toISOString()} not ${delta} ms after the call`);
  const near = (got: number, want: number, what: string) => assert.ok(Math.abs(got - want) < 1000, `${what}: ${new Date(got).toISOString()} vs ${new Date(want).toISOString()}`);
  within(await at('2h30m'), 150 * 60_000, '2h30m is 150 minutes');
  within(await at('1d'), 86_400_000, '1d');
  within(await at('1h30m15s'), 5415_000, '1h30m15s');
  const later = new Date(now + 3 * 3600_000);
  near(await at(later.toISOString()), later.getTime(), 'RFC3339 Z');
  const p = (n: number) => String(n).padStart(2, '0');
  const local = `${later.getFullYear()}-${p(later.getMonth() + 1)}-${p(later.getDate())}T${p(later.getHours())}:${p(later.getMinutes())}:${p(later.getSeconds())}`;
  near(await at(local), later.getTime(), 'RFC3339 without zone = local');
  const clock = await at(`${p(later.getHours())}:${p(later.getMinutes())}`);
  near(clock, new Date(later.getFullYear(), later.getMonth(), later.getDate(), later.getHours(), later.getMinutes()).getTime(), 'HH:MM');
  // The SDK sends RFC3339 with or without a zone: the server reads a zoneless one in its own zone.
  const pems = nodePems(d.rnxConfig, 'default');
  const ch = openChannel(`127.0.0.1:${d.port}`, pems);
  try {
    const runJob = allRpcs().find((x) => x.name === 'RunJob')!;
    for (const schedule of [later.toISOString().replace(/\.\d+Z$/, 'Z'), local, `${local}+00:00`]) {
      const o = await callRpc(ch, runJob, { request: { command: 'true', schedule } });
      assert.is(o.code, Status.OK, `${schedule}: ${o.details}`);
      const res = o.response as { jobUuid: string; status: string; job: { scheduledTime: string } };
      assert.is(res.status, 'SCHEDULED');
      const want = schedule.endsWith('+00:00') ? Date.parse(schedule) : later.getTime();
      near(Date.parse(res.job.scheduledTime), Math.floor(want / 1000) * 1000, `SDK form ${schedule}`);
      await d.rnx(['cancel', res.jobUuid]);
    }
    // The server refuses what the client would have refused.
    for (const [schedule, msg] of [
      ['2000-01-01T00:00:00Z', /in the past; a schedule may be at most 30 s in the past/],
      ['2y', /is not a schedule/],
      ['400d', /more than 1 year ahead; the limit is 365 days/],
    ] as const) {
      const o = await callRpc(ch, runJob, { request: { command: 'true', schedule } });
      assert.is(o.code, Status.INVALID_ARGUMENT, schedule);
      assert.match(o.details, msg);
    }
  } finally {
    ch.close();
  }
});

test('bad schedules and cron options are refused with a message and create nothing', async () => {
  const before = (await jobs()).length;
  const schedulesBefore = JSON.parse((await d.rnx(['schedule', 'list', '--json'])).stdout).length;
  const cases: [string[], RegExp][] = [
    [['--schedule=yesterday'], /--schedule: 'yesterday' is not a schedule; give a duration/],
    [['--schedule=2000-01-01T00:00:00Z'], /--schedule: 2000-01-01T00:00:00Z .* is in the past/],
    [['--schedule=2y'], /--schedule: '2y' is not a schedule/],
    [['--schedule=367d'], /more than 1 year ahead; the limit is 365 days/],
    [['--cron=61 * * * *'], /--cron: '61 \* \* \* \*' is not a valid cron expression \(Invalid value for minute: 61\)/],
    [['--cron=@daily', '--cron-tz=Mars/Base'], /--cron-tz: 'Mars\/Base' is not a time zone/],
    [['--cron=@daily', '--concurrency=sometimes'], /--concurrency: 'sometimes' is not a concurrency policy; use allow/],
    [['--cron=0 0 31 2 *'], /never fires/],
    [['--schedule=5m', '--cron=@daily'], /either --schedule .* or --cron/],
    [['--concurrency=forbid'], /add --cron/],
  ];
  for (const [flags, msg] of cases) {
    const r = await d.rnx(['run', ...flags, 'true']);
    assert.is(r.code, 1, flags.join(' '));
    assert.match(r.stderr, msg, flags.join(' '));
    assert.not.match(r.stderr, /\n./, 'one line');
  }
  // Over the wire, without rnx's own checks.
  const ch = openChannel(`127.0.0.1:${d.port}`, nodePems(d.rnxConfig, 'default'));
  try {
    const runJob = allRpcs().find((x) => x.name === 'RunJob')!;
    for (const [req, msg] of [
      [{ cron: '61 * * * *' }, /not a valid cron expression/],
      [{ cron: '@daily', cronTimezone: 'Mars/Base' }, /not a time zone/],
      [{ cron: '@daily', concurrency: 'sometimes' }, /not a concurrency policy/],
      [{ cron: '@every 0s' }, /needs a duration from 1s/],
      [{ concurrency: 'forbid' }, /only apply to a recurring schedule/],
    ] as const) {
      const o = await callRpc(ch, runJob, { request: { command: 'true', ...req } });
      assert.is(o.code, Status.INVALID_ARGUMENT, JSON.stringify(req));
      assert.match(o.details, msg);
    }
  } finally {
    ch.close();
  }
  assert.is((await jobs()).length, before, 'a refused request created a job');
  assert.is(JSON.parse((await d.rnx(['schedule', 'list', '--json'])).stdout).length, schedulesBefore);
});

test('cancel: SCHEDULED becomes CANCELED; other states are refused naming the state; stop cancels a scheduled job', async () => {
  const id = await d.run(['--schedule=1h', 'echo', 'never']);
  const c = await d.rnx(['cancel', id.slice(0, 8)]);
  assert.is(c.code, 0, c.stderr);
  assert.is(c.stdout, `Job canceled:\nID: ${id}\nStatus: CANCELED\n`);
  const j = await status(id);
  assert.is(j.status, 'CANCELED');
  assert.match(j.failureReason, /^canceled by admin-client$/);
  assert.equal(j.history.map((h: Json) => h.status), ['SCHEDULED', 'CANCELED']);
  const again = await d.rnx(['cancel', id]);
  assert.is(again.code, 1);
  assert.match(again.stderr, /is CANCELED: only a SCHEDULED job can be canceled; it has already ended/);
  const running = await d.run(['sleep', '60']);
  const refused = await d.rnx(['cancel', running]);
  assert.is(refused.code, 1);
  assert.match(refused.stderr, /is (INITIALIZING|RUNNING): only a SCHEDULED job can be canceled; use 'rnx stop [0-9a-f]{8}'/);
  await d.rnx(['stop', running]);
  const s2 = await d.run(['--schedule=1h', 'true']);
  const stop = await d.rnx(['stop', '--json', s2]);
  assert.is(stop.code, 0, stop.stderr);
  assert.is(JSON.parse(stop.stdout).status, 'CANCELED');
  // Over the wire: CancelJob answers FAILED_PRECONDITION for a job that is not scheduled.
  const ch = openChannel(`127.0.0.1:${d.port}`, nodePems(d.rnxConfig, 'default'));
  try {
    const o = await callRpc(ch, allRpcs().find((x) => x.name === 'CancelJob')!, { request: { uuid: running } });
    assert.is(o.code, Status.FAILED_PRECONDITION);
    assert.match(o.details, /only a SCHEDULED job can be canceled/);
  } finally {
    ch.close();
  }
});

test('a scheduled job and its uploads survive kill -9; one missed by more than the grace fails as missed', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'joblet-sched-'));
  try {
    fs.writeFileSync(path.join(dir, 'data.txt'), 'uploaded before the crash\n');
    const kept = await d.run(['--schedule=25s', `--upload=${path.join(dir, 'data.txt')}`, 'cat', 'data.txt']);
    const missed = await d.run(['--schedule=2s', 'true']);
    await d.stop('SIGKILL');
    // Down for longer than the misfire grace (15 s) after `missed` was due.
    await new Promise((r) => setTimeout(r, 19000));
    await d.serve();
    const m = await waitDone(missed);
    assert.is(m.status, 'FAILED');
    assert.match(m.failureReason, /^missed: the daemon was down at \d{4}-\d\d-\d\dT/);
    const k = await waitDone(kept, 30000);
    assert.is(k.status, 'COMPLETED');
    assert.is((await d.rnx(['log', kept])).stdout, 'uploaded before the crash\n');
    assert.equal(fs.readdirSync(path.join(d.stateDir, 'staged')), [], 'staged uploads were not removed');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a scheduled job due while the daemon was down runs at start-up when within the grace', async () => {
  const id = await d.run(['--schedule=2s', 'echo', 'caught up']);
  await d.stop('SIGTERM');
  await new Promise((r) => setTimeout(r, 2500));
  await d.serve();
  const j = await waitDone(id);
  assert.is(j.status, 'COMPLETED');
  assert.is((await d.rnx(['log', id])).stdout, 'caught up\n');
});

test('rnx list filters: --status, --since, --limit', async () => {
  const a = await d.run(['true']);
  await waitDone(a);
  const b = await d.run(['--schedule=1h', 'true']);
  const scheduled = JSON.parse((await d.rnx(['list', '--json', '--status=scheduled'])).stdout) as Json[];
  assert.ok(scheduled.some((j) => j.id === b) && scheduled.every((j) => j.status === 'SCHEDULED'));
  const two = JSON.parse((await d.rnx(['list', '--json', '--limit=2'])).stdout) as Json[];
  assert.is(two.length, 2);
  assert.is(two[1]!.id, b, 'the newest job comes last');
  const recent = JSON.parse((await d.rnx(['list', '--json', '--since=1h'])).stdout) as Json[];
  assert.ok(recent.some((j) => j.id === a));
  assert.match((await d.rnx(['list', '--status=sleeping'])).stderr, /--status: 'sleeping' is not a job state; use SCHEDULED, PENDING, INITIALIZING/);
  assert.match((await d.rnx(['list', '--since=yesterday'])).stderr, /--since: 'yesterday' is not a duration/);
  assert.match((await d.rnx(['list', '--limit=0'])).stderr, /--limit: 0 is out of range/);
  await d.rnx(['cancel', b]);
});

test.run();
