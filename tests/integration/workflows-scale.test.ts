/**
 * A 100-job workflow through a real daemon: it completes, every job after the jobs it requires
 * (checked from their start and end times). The jobs are `true` with network none, so the file
 * measures the engine, not the jobs.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TestDaemon } from '../helpers/daemon';
import { job, ms, wfDir, wfRun, wfWait } from '../helpers/workflow';

let d: TestDaemon;
const tmp = wfDir();

test.before(async () => {
  d = await TestDaemon.start();
});
test.after(async () => {
  await d?.destroy();
  tmp.cleanup();
});

test('a 100-job DAG (10 levels of 10, each job after two of the level before) completes in order', async () => {
  const lines = ['name: hundred', 'defaults: {network: none}', 'jobs:'];
  for (let level = 0; level < 10; level++) {
    for (let i = 0; i < 10; i++) {
      const req = level === 0 ? '' : `, requires: [{j${level - 1}-${i}: COMPLETED}, {j${level - 1}-${(i + 1) % 10}: COMPLETED}]`;
      lines.push(`  j${level}-${i}: {command: 'true'${req}}`);
    }
  }
  const created = await wfRun(d, ['workflow', 'run', tmp.write('hundred.yaml', lines.join('\n'))]);
  assert.is(created.totalJobs, 100);
  const w = await wfWait(d, created.id, undefined, 240000);
  assert.is(w.status, 'COMPLETED', w.message);
  assert.is(w.completedJobs, 100);
  assert.ok(w.jobs.every((j) => j.status === 'COMPLETED' && j.exitCode === 0));
  for (const j of w.jobs) {
    assert.is(j.dependencies.length, j.name.startsWith('j0-') ? 0 : 2);
    for (const dep of j.dependencies) assert.ok(ms(j.startTime, j.name) >= ms(job(w, dep).endTime, dep), `${j.name} started before ${dep} ended`);
  }
  // The unified view draws all of it: every job in the table and in the DAG.
  const view = await d.rnx(['workflow', 'status', w.id]);
  assert.is(view.code, 0, view.stderr);
  assert.match(view.stdout, /Progress:\s+100\/100 jobs completed/);
  for (const j of w.jobs) assert.ok(view.stdout.split(`✓ ${j.name}`).length >= 2, `${j.name} is not drawn in the DAG`);
});

test.run();
