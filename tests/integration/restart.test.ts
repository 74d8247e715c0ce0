/** State survives restarts; a job running when the daemon dies ends FAILED with a reason, and nothing of it survives. */
import * as fs from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TestDaemon } from '../helpers/daemon';

let d: TestDaemon;
test.before(async () => {
  d = await TestDaemon.start();
});
test.after(async () => {
  await d?.destroy();
});

/** Host pids whose environment carries this JOB_ID (the job's processes). */
function jobPids(id: string): number[] {
  const out: number[] = [];
  for (const p of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      if (fs.readFileSync(`/proc/${p}/environ`, 'utf8').split('\0').includes(`JOB_ID=${id}`)) out.push(Number(p));
    } catch {
      /* gone */
    }
  }
  return out;
}

for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
  test(`after a ${signal} restart finished jobs and their logs remain, and a running job is ended`, async () => {
    const done = await d.run(['sh', '-c', 'echo kept output; echo kept err >&2']);
    await d.waitDone(done);
    const running = await d.run(['sh', '-c', 'sleep 300 & setsid sleep 300 & echo started; wait']);
    for (let i = 0; i < 100 && jobPids(running).length < 3; i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(jobPids(running).length >= 3, 'job processes did not start');
    // The processes exist before sh has printed (and the daemon stored) its line: wait for the line,
    // since what must survive is output the daemon has stored.
    for (let i = 0; i < 200 && (await d.rnx(['log', '--no-follow', running])).stdout !== 'started\n'; i++) await new Promise((r) => setTimeout(r, 50));
    await d.stop(signal);
    await d.serve();
    for (let i = 0; i < 40 && jobPids(running).length > 0; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(jobPids(running), [], 'processes of the job survived the restart');
    const j1 = JSON.parse((await d.rnx(['status', '--json', done])).stdout);
    assert.is(j1.status, 'COMPLETED');
    const log = await d.rnx(['log', done]);
    assert.is(log.stdout, 'kept output\n');
    assert.is(log.stderr, 'kept err\n');
    const j2 = JSON.parse((await d.rnx(['status', '--json', running])).stdout);
    if (signal === 'SIGTERM') {
      assert.is(j2.status, 'STOPPED');
      assert.is(j2.failureReason, 'stopped because the joblet daemon shut down');
    } else {
      assert.is(j2.status, 'FAILED');
      assert.match(j2.failureReason, /daemon stopped while this job was running/);
    }
    assert.is((await d.rnx(['log', running])).stdout, 'started\n');
  });
}

test('two daemons with their own configs run side by side without seeing each other', async () => {
  const other = await TestDaemon.start();
  try {
    const a = await d.run(['echo', 'from a']);
    const b = await other.run(['echo', 'from b']);
    await d.waitDone(a);
    await other.waitDone(b);
    const la = JSON.parse((await d.rnx(['list', '--json'])).stdout) as { id: string }[];
    const lb = JSON.parse((await other.rnx(['list', '--json'])).stdout) as { id: string }[];
    assert.ok(la.some((j) => j.id === a) && !la.some((j) => j.id === b));
    assert.equal(lb.map((j) => j.id), [b]);
    // A client of one daemon cannot talk to the other: different CAs.
    const cross = await d.rnx(['--config', other.rnxConfig, 'status', a]);
    assert.is(cross.code, 1);
  } finally {
    await other.destroy();
  }
});

test('a second daemon on the same state dir is refused', async () => {
  const { exec, JOBLET } = await import('../helpers/daemon');
  const r = await exec(JOBLET, ['serve', '--config', d.serverConfig], { timeoutMs: 20000 });
  assert.is(r.code, 2);
  assert.match(r.stderr, /another joblet daemon \(pid \d+\) already uses state dir/);
});

test.run();
