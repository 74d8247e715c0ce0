/**
 * Prompt stop: a job whose PID 1 does not handle SIGTERM is killed at once; one that does gets its
 * grace period (or --grace), and is STOPPING meanwhile.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TestDaemon } from '../helpers/daemon';

let d: TestDaemon;
test.before(async () => {
  d = await TestDaemon.start({ configEdit: (y) => y.replace(/stopGraceSeconds: \d+/, 'stopGraceSeconds: 30') });
});
test.after(async () => {
  await d?.destroy();
});

type Json = Record<string, any>;
const waitDone = async (id: string, ms?: number): Promise<Json> => (await d.waitDone(id, ms)) as Json;
const status = async (id: string): Promise<Json> => JSON.parse((await d.rnx(['status', '--json', id])).stdout);

async function running(id: string, marker?: string): Promise<void> {
  const end = Date.now() + 30000;
  while ((await status(id)).status !== 'RUNNING' || (marker && !(await d.rnx(['log', '--no-follow', id])).stdout.includes(marker))) {
    if (Date.now() > end) throw new Error(`job ${id} did not start`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('rnx stop of sleep 60 does not wait the grace period: SIGKILL at once, STOPPED, STOPPING in its history', async () => {
  const id = await d.run(['sleep', '60']);
  await running(id);
  const t0 = Date.now();
  const r = await d.rnx(['stop', id]);
  const took = Date.now() - t0;
  assert.is(r.code, 0, r.stderr);
  // The server's grace is 30 s: anything near it means the grace was waited (the margin is for a
  // loaded host; the benchmark-free expectation is well under a second).
  assert.ok(took < 20000, `rnx stop took ${took} ms`);
  const j = await status(id);
  assert.is(j.status, 'STOPPED');
  assert.is(j.signal, 'SIGKILL');
  assert.equal(j.history.map((h: Json) => h.status), ['INITIALIZING', 'RUNNING', 'STOPPING', 'STOPPED']);
  const stopping = Date.parse(j.history[2].time);
  const stopped = Date.parse(j.history[3].time);
  assert.ok(stopped - stopping < 15000, `${stopped - stopping} ms between STOPPING and STOPPED`);
});

test('a job that handles SIGTERM gets its grace: STOPPING is visible, then it exits on its own', async () => {
  const id = await d.run(['sh', '-c', 'trap "sleep 6; echo bye; exit 0" TERM; echo ready; while :; do sleep 0.1; done']);
  await running(id, 'ready');
  const stop = d.rnx(['stop', id]);
  let seen = '';
  for (let i = 0; i < 100 && seen !== 'STOPPING'; i++) {
    seen = (await status(id)).status;
    if (seen === 'STOPPED') break;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.is(seen, 'STOPPING');
  const human = await d.rnx(['status', id]);
  assert.match(human.stdout, /^Status: +STOPPING$/m);
  assert.is((await stop).code, 0);
  const j = await waitDone(id);
  assert.is(j.status, 'STOPPED');
  assert.is(j.exitCode, 0);
  assert.is(j.signal, '');
  assert.match((await d.rnx(['log', id])).stdout, /bye\n$/);
});

test('--grace overrides the server grace; a bad --grace is refused', async () => {
  const id = await d.run(['sh', '-c', 'trap "echo ignoring TERM" TERM; echo ready; while :; do sleep 0.1; done']);
  await running(id, 'ready');
  const t0 = Date.now();
  const r = await d.rnx(['stop', '--grace=1s', id]);
  const took = Date.now() - t0;
  assert.is(r.code, 0, r.stderr);
  assert.ok(took >= 900 && took < 15000, `stop with --grace=1s took ${took} ms (server grace 30 s)`);
  const j = await status(id);
  assert.is(j.status, 'STOPPED');
  assert.is(j.signal, 'SIGKILL');
  const bad = await d.rnx(['stop', '--grace=soon', id]);
  assert.is(bad.code, 1);
  assert.match(bad.stderr, /^rnx: --grace: 'soon' is not a duration; use e.g. 0s, 10s or 1m30s\n$/);
});

test('--timeout ends the job FAILED through STOPPING', async () => {
  const id = await d.run(['--timeout=1s', 'sleep', '60']);
  const j = await waitDone(id, 30000);
  assert.is(j.status, 'FAILED');
  assert.match(j.failureReason, /^timeout: the job ran longer than 1s$/);
  assert.equal(j.history.map((h: Json) => h.status), ['INITIALIZING', 'RUNNING', 'STOPPING', 'FAILED']);
});

test.run();
