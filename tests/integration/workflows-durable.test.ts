/**
 * Workflows across a crash, through a real daemon: after `kill -9` of the daemon in the middle of
 * a workflow and a restart on the same state dir, finished jobs keep their state, running ones
 * are FAILED "daemon restarted" (and retried when their policy allows), and the workflow carries
 * on by its requirements.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TestDaemon } from '../helpers/daemon';
import { job, ms, wfDir, wfRun, wfStatus, wfWait } from '../helpers/workflow';

let d: TestDaemon;
const tmp = wfDir();

test.before(async () => {
  d = await TestDaemon.start();
});
test.after(async () => {
  await d?.destroy();
  tmp.cleanup();
});

test('kill -9 mid-workflow, restart: finished jobs stay, running ones FAILED "daemon restarted" (retried if allowed), the rest follows its requirements', async () => {
  const f = tmp.write('crash.yaml', `
name: crash
defaults: {network: none}
jobs:
  done: {command: echo, args: [done]}
  long:
    command: sh
    args: [-c, 'echo started; exec sleep 300']
    requires: [{done: COMPLETED}]
  retried:
    # The first attempt hangs (the crash interrupts it); the retry after the restart completes.
    command: sh
    args: [-c, 'echo "attempt $JOB_ATTEMPT"; [ "$JOB_ATTEMPT" -ge 2 ] || exec sleep 300']
    retries: 1
    requires: [{done: COMPLETED}]
  on-long-failed: {command: echo, args: [long failed], requires: [{long: FAILED}]}
  on-long-ok: {command: echo, args: [long ok], requires: [{long: COMPLETED}]}
  after-retried: {command: echo, args: [after retried], requires: [{retried: COMPLETED}]}
`);
  const created = await wfRun(d, ['workflow', 'run', f]);
  const running = await wfWait(d, created.id, (w) => job(w, 'long').status === 'RUNNING' && job(w, 'retried').status === 'RUNNING');
  const doneBefore = job(running, 'done');
  // Both have really begun (printed their first line) before the crash.
  for (const n of ['long', 'retried']) {
    const id = job(running, n).id;
    for (const until = Date.now() + 30000; !(await d.rnx(['log', '--no-follow', id])).stdout.trim(); ) {
      assert.ok(Date.now() < until, `${n} printed nothing`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const firstRetried = job(running, 'retried').id;
  await d.stop('SIGKILL');
  await d.serve();

  const w = await wfWait(d, created.id);
  assert.is(w.status, 'FAILED', 'long failed and nothing allowed it');
  assert.match(w.message, /job 'long' failed: daemon restarted/);
  assert.equal({ ...job(w, 'done') }, { ...doneBefore }, 'the finished job kept its state');
  const long = job(w, 'long');
  assert.is(long.status, 'FAILED');
  assert.match(long.failureReason, /^daemon restarted/);
  assert.is(long.attempt, 1);
  const retried = job(w, 'retried');
  assert.is(retried.status, 'COMPLETED');
  assert.is(retried.attempt, 2);
  assert.is(retried.attemptIds[0], firstRetried);
  const first = JSON.parse((await d.rnx(['status', '--json', firstRetried])).stdout) as { status: string; failureReason: string };
  assert.is(first.status, 'FAILED');
  assert.match(first.failureReason, /^daemon restarted/);
  assert.is((await d.rnx(['log', retried.id])).stdout, 'attempt 2\n');
  assert.is(job(w, 'on-long-failed').status, 'COMPLETED');
  assert.is((await d.rnx(['log', job(w, 'on-long-failed').id])).stdout, 'long failed\n');
  assert.is(job(w, 'on-long-ok').status, 'CANCELED');
  assert.match(job(w, 'on-long-ok').failureReason, /'long: COMPLETED' can no longer be met: long is FAILED/);
  assert.is(job(w, 'after-retried').status, 'COMPLETED');
  assert.ok(ms(job(w, 'after-retried').startTime, 'after-retried') >= ms(retried.endTime, 'retried'));
  // The workflow is stored as ended: it stays so across another restart.
  await d.stop('SIGTERM');
  await d.serve();
  const again = await wfStatus(d, created.id);
  assert.is(again.status, 'FAILED');
  assert.equal(again.jobs.map((j) => [j.name, j.status]), w.jobs.map((j) => [j.name, j.status]));
});

test.run();
