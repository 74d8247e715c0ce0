/**
 * Recurring schedules against a real daemon: firings, concurrency forbid and replace, rnx
 * schedule list/pause/resume/remove with --json, durability across a restart.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TestDaemon } from '../helpers/daemon';

let d: TestDaemon;
test.before(async () => {
  d = await TestDaemon.start({ configEdit: (y) => y.replace(/stopGraceSeconds: \d+/, 'stopGraceSeconds: 1') });
});
test.after(async () => {
  for (const s of await schedules().catch(() => [])) await d.rnx(['schedule', 'remove', s.id]);
  await d?.destroy();
});

type Json = Record<string, any>;
const waitDone = async (id: string, ms?: number): Promise<Json> => (await d.waitDone(id, ms)) as Json;
const schedules = async (): Promise<Json[]> => JSON.parse((await d.rnx(['schedule', 'list', '--json'])).stdout);
const schedule = async (name: string): Promise<Json> => (await schedules()).find((s) => s.name === name)!;
const jobsOf = async (sid: string): Promise<Json[]> => (JSON.parse((await d.rnx(['list', '--json'])).stdout) as Json[]).filter((j) => j.scheduleId === sid);

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 30000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('--cron prints the schedule; @every 2s fires at least 3 times in 8 s; each job names its schedule and gets the uploads', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'joblet-cron-'));
  fs.writeFileSync(path.join(dir, 'tick.txt'), 'tick\n');
  const r = await d.rnx(['run', '--cron=@every 2s', '--name=tick', `--upload=${path.join(dir, 'tick.txt')}`, 'cat', 'tick.txt']);
  fs.rmSync(dir, { recursive: true, force: true });
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Schedule: tick\nID: [0-9a-f-]{36}\nCron: @every 2s\nTime Zone: server local\nConcurrency: allow\nCommand: cat tick.txt\nNext Run: \d{4}-.* UTC\), (in [12]s|now)\n$/);
  const sid = /^ID: (\S+)$/m.exec(r.stdout)![1]!;
  await until('3 jobs of the schedule', async () => (await jobsOf(sid)).length >= 3, 30000);
  const jobs = await jobsOf(sid);
  // Judged by the server's own times, not by how fast this host answers rnx.
  const created = Date.parse((await schedule('tick')).createdTime);
  const third = Date.parse(jobs[2]!.createdTime);
  assert.ok(third - created <= 8000, `the third firing came ${third - created} ms after the schedule was made`);
  for (const j of jobs) assert.is(j.scheduleName, 'tick');
  for (const j of jobs.slice(0, 2)) {
    const done = await waitDone(j.id as string);
    assert.is(done.status, 'COMPLETED');
    // The uploads were stored once with the schedule and copied into every job.
    assert.is((await d.rnx(['log', j.id])).stdout, 'tick\n');
  }
  const human = await d.rnx(['status', jobs[0]!.id]);
  assert.match(human.stdout, new RegExp(`^Schedule: +tick \\(${sid}\\)$`, 'm'));
  const list = await d.rnx(['schedule', 'list']);
  assert.match(list.stdout, /^NAME\/ID +EXPR +TZ +NEXT RUN +LAST JOB +LAST STATUS\n-+ +-+ +-+ +-+ +-+ +-+\n/);
  assert.match(list.stdout, /^tick +@every 2s +local +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d +[0-9a-f]{8} +(INITIALIZING|RUNNING|COMPLETED)$/m);
  const rm = await d.rnx(['schedule', 'remove', 'tick']);
  assert.is(rm.stdout, `Schedule ${sid} removed\n`);
  const count = (await jobsOf(sid)).length;
  await new Promise((r) => setTimeout(r, 3000));
  assert.is((await jobsOf(sid)).length, count, 'a removed schedule fired again');
});

test('forbid skips a firing while the previous job runs, and records the skip', async () => {
  const r = await d.rnx(['run', '--cron=@every 1s', '--concurrency=forbid', '--name=lonely', 'sleep', '30']);
  assert.is(r.code, 0, r.stderr);
  const s = await until('a skip', async () => {
    const x = await schedule('lonely');
    return x.skipped >= 2 ? x : undefined;
  });
  assert.is(s.runs, 1);
  assert.is((await jobsOf(s.id)).length, 1);
  assert.match(s.events.at(-1).message, /^skipped the firing of \d{4}-.*Z: job [0-9a-f-]{36} is still (INITIALIZING|RUNNING) \(concurrency forbid\)$/);
  await d.rnx(['schedule', 'remove', 'lonely']);
  const [job] = await jobsOf(s.id);
  await d.rnx(['stop', job!.id]);
});

test('replace stops the previous job before starting the next', async () => {
  const r = await d.rnx(['run', '--cron=@every 2s', '--concurrency=replace', '--name=fresh', 'sleep', '30']);
  assert.is(r.code, 0, r.stderr);
  const sid = /^ID: (\S+)$/m.exec(r.stdout)![1]!;
  const jobs = await until('two jobs', async () => {
    const js = await jobsOf(sid);
    return js.length >= 2 ? js : undefined;
  });
  const first = await waitDone(jobs[0]!.id as string);
  assert.is(first.status, 'STOPPED');
  assert.match(String(first.failureReason), /^stopped by schedule fresh \([0-9a-f]{8}\) \(concurrency replace\)$/);
  const s = await schedule('fresh');
  assert.ok(s.events.some((e: Json) => /concurrency replace/.test(e.message)));
  await d.rnx(['schedule', 'remove', 'fresh']);
  for (const j of await jobsOf(sid)) await d.rnx(['stop', j.id]);
});

test('pause, resume and remove, with --json; unknown names are refused', async () => {
  const r = await d.rnx(['run', '--json', '--cron=0 3 * * *', '--cron-tz=Europe/Berlin', '--name=nightly', 'true']);
  assert.is(r.code, 0, r.stderr);
  const created = JSON.parse(r.stdout);
  assert.is(created.name, 'nightly');
  assert.is(created.timezone, 'Europe/Berlin');
  assert.is(created.concurrency, 'allow');
  assert.is(created.paused, false);
  // 03:00 in Berlin is 01:00 or 02:00 UTC.
  assert.match(created.nextRunTime, /T0[12]:00:00\.000Z$/);
  const dup = await d.rnx(['run', '--cron=@daily', '--name=nightly', 'true']);
  assert.is(dup.code, 1);
  assert.match(dup.stderr, /a schedule named 'nightly' exists already/);
  const p = JSON.parse((await d.rnx(['schedule', 'pause', '--json', 'nightly'])).stdout);
  assert.is(p.paused, true);
  assert.is(p.nextRunTime, null, 'a time not known is null, never ""');
  assert.match((await d.rnx(['schedule', 'list'])).stdout, /^nightly +0 3 \* \* \* +Europe\/Berlin +paused +- +-$/m);
  const resumed = await d.rnx(['schedule', 'resume', created.id.slice(0, 8)]);
  assert.match(resumed.stdout, /^Next Run: \d{4}-/m);
  const rm = JSON.parse((await d.rnx(['schedule', 'remove', '--json', 'nightly'])).stdout);
  assert.equal(rm, { id: created.id, removed: true });
  const gone = await d.rnx(['schedule', 'pause', 'nightly']);
  assert.is(gone.code, 1);
  assert.match(gone.stderr, /^rnx: schedule 'nightly' not found \(see 'rnx schedule list'\)\n$/);
});

test('schedules survive a kill -9: missed firings are counted and it fires once, not once per miss', async () => {
  const r = await d.rnx(['run', '--cron=@every 2s', '--name=survivor', 'true']);
  assert.is(r.code, 0, r.stderr);
  const sid = /^ID: (\S+)$/m.exec(r.stdout)![1]!;
  await until('a first job', async () => (await jobsOf(sid)).length >= 1);
  await d.stop('SIGKILL');
  await new Promise((resolve) => setTimeout(resolve, 9000));
  const restart = Date.now();
  await d.serve();
  const s = await until('the misses noted', async () => {
    const x = await schedule('survivor');
    return x && x.missed >= 1 ? x : undefined;
  }, 10000);
  await d.rnx(['schedule', 'pause', 'survivor']);
  assert.ok(s.missed >= 3, `only ${s.missed} misses noted for 9 s down`);
  assert.ok(s.events.some((e: Json) => /^the daemon was down: missed \d+ firings \(.*\); ran once at start-up$/.test(e.message)), JSON.stringify(s.events));
  // One catch-up job (plus at most one regular firing meanwhile), never one per missed firing.
  // Regular firings go on meanwhile: look at the burst right after the restart only.
  const after = (await jobsOf(sid)).map((j) => Date.parse(j.createdTime)).filter((t) => t >= restart);
  const burst = after.filter((t) => t < Math.min(...after) + 1500);
  assert.ok(burst.length >= 1 && burst.length <= 2, `${burst.length} jobs at once after the restart for ${s.missed} misses`);
  await d.rnx(['schedule', 'remove', 'survivor']);
});

test.run();
