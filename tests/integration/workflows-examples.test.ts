/**
 * Workflows through a real daemon and the real rnx: the README's example pipelines under
 * examples/workflows/ run to COMPLETED as they are, fan-out and fan-in keep their order (checked
 * from the jobs' start and end times), conditional branches run only when taken, and every job of
 * a workflow is an ordinary job that rnx status, rnx log and rnx list show with its workflow.
 */
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ROOT, TestDaemon } from '../helpers/daemon';
import { job, ms, wfDir, wfRun, wfStatus, wfWait, type WfStatus } from '../helpers/workflow';

const EX = path.join(ROOT, 'examples/workflows');
let d: TestDaemon;
const tmp = wfDir();

test.before(async () => {
  d = await TestDaemon.start();
  for (const v of ['pipeline-data', 'ml-data', 'rendezvous']) {
    const r = await d.rnx(['volume', 'create', v, '--size=16MB', '--type=memory']);
    assert.is(r.code, 0, r.stderr);
  }
});
test.after(async () => {
  await d?.destroy();
  tmp.cleanup();
});

/** Every job of `w` starts only after each job it depends on has ended. */
function assertOrder(w: WfStatus): void {
  for (const j of w.jobs) {
    if (j.status !== 'COMPLETED' && j.status !== 'FAILED') continue;
    for (const dep of j.dependencies) {
      const p = job(w, dep);
      if (p.endTime === null) continue; // canceled before it ran
      assert.ok(ms(j.startTime, j.name) >= ms(p.endTime, dep), `${j.name} started ${j.startTime}, before ${dep} ended ${p.endTime}`);
    }
  }
}

test('data-pipeline (fan-out, fan-in over a volume) completes through rnx run --workflow; the alert branch is canceled', async () => {
  const created = await wfRun(d, ['run', `--workflow=${path.join(EX, 'data-pipeline/data-pipeline.yaml')}`]);
  assert.is(created.name, 'data-pipeline');
  assert.is(created.totalJobs, 7);
  const w = await wfWait(d, created.id);
  assert.is(w.status, 'COMPLETED', w.message);
  assert.equal(w.jobs.map((j) => [j.name, j.status]), [
    ['extract', 'COMPLETED'],
    ['validate', 'COMPLETED'],
    ['profile', 'COMPLETED'],
    ['transform', 'COMPLETED'],
    ['load', 'COMPLETED'],
    ['report', 'COMPLETED'],
    ['alert', 'CANCELED'],
  ]);
  assert.match(job(w, 'alert').failureReason, /can no longer be met/);
  assert.is(job(w, 'alert').exitCode, null);
  assertOrder(w);
  // Fan-in: transform waited for both branches of the fan-out.
  const t = ms(job(w, 'transform').startTime, 'transform');
  assert.ok(t >= ms(job(w, 'validate').endTime, 'validate') && t >= ms(job(w, 'profile').endTime, 'profile'));
  // The stages really handed their data on: the report read what load wrote.
  const log = await d.rnx(['log', job(w, 'report').id]);
  assert.is(log.code, 0, log.stderr);
  assert.match(log.stdout, /^top product: \S+,\d+/m);
  assert.match(log.stdout, /^\d+ rows$/m);
});

test('ml-pipeline (a chain with retries and a timeout) completes in order', async () => {
  const created = await wfRun(d, ['workflow', 'run', path.join(EX, 'ml-pipeline/ml-pipeline.yaml')]);
  const w = await wfWait(d, created.id);
  assert.is(w.status, 'COMPLETED', w.message);
  assert.equal(w.jobs.map((j) => j.name), ['validate', 'transform', 'train', 'evaluate', 'deploy']);
  assert.ok(w.jobs.every((j) => j.status === 'COMPLETED' && j.exitCode === 0 && j.attempt === 1));
  assert.is(job(w, 'train').maxAttempts, 3);
  for (let i = 1; i < w.jobs.length; i++) {
    assert.ok(ms(w.jobs[i]!.startTime, w.jobs[i]!.name) >= ms(w.jobs[i - 1]!.endTime, w.jobs[i - 1]!.name), `${w.jobs[i]!.name} before ${w.jobs[i - 1]!.name} ended`);
  }
  assert.match((await d.rnx(['log', job(w, 'evaluate').id])).stdout, /^R2 = 0\.9\d+ \(minimum 0\.9\)$/m);
  assert.match((await d.rnx(['log', job(w, 'deploy').id])).stdout, /^deployed: -?\d+\.\d+ -?\d+\.\d+$/m);
});

test('parallel: the batches run, and summary (FINISHED) starts after all of them', async () => {
  const created = await wfRun(d, ['run', `--workflow=${path.join(EX, 'parallel/parallel.yaml')}`]);
  const w = await wfWait(d, created.id);
  assert.is(w.status, 'COMPLETED', w.message);
  const s = ms(job(w, 'summary').startTime, 'summary');
  for (const b of ['batch-1', 'batch-2', 'batch-3', 'batch-4']) assert.ok(s >= ms(job(w, b).endTime, b), `summary started before ${b} ended`);
  assert.is((await d.rnx(['log', job(w, 'batch-2').id])).stdout, 'batch 2: 15050\n');
});

test('fan-out jobs really run at the same time: each waits for the other to have started', async () => {
  // Two jobs that meet through a volume: run one after the other, the first would wait forever (its timeout fails it).
  const f = tmp.write('rendezvous.yaml', `
name: rendezvous
defaults: {network: none, volumes: [rendezvous], timeout: 30s}
jobs:
  start: {command: sh, args: [-c, 'rm -f /volumes/rendezvous/*']}
  left:
    command: sh
    args: [-c, 'touch /volumes/rendezvous/left; until [ -e /volumes/rendezvous/right ]; do sleep 0.05; done; echo met']
    requires: [{start: COMPLETED}]
  right:
    command: sh
    args: [-c, 'touch /volumes/rendezvous/right; until [ -e /volumes/rendezvous/left ]; do sleep 0.05; done; echo met']
    requires: [{start: COMPLETED}]
  join:
    command: echo
    args: [joined]
    requires: [{left: COMPLETED}, {right: COMPLETED}]
`);
  const w = await wfWait(d, (await wfRun(d, ['workflow', 'run', f])).id);
  assert.is(w.status, 'COMPLETED', w.message);
  const j = ms(job(w, 'join').startTime, 'join');
  assert.ok(j >= ms(job(w, 'left').endTime, 'left') && j >= ms(job(w, 'right').endTime, 'right'));
  for (const side of ['left', 'right']) assert.ok(ms(job(w, side).startTime, side) >= ms(job(w, 'start').endTime, 'start'));
});

test('conditional: the rollback runs only when the deploy fails (and is CANCELED with a reason otherwise); --follow exits by the outcome', async () => {
  const file = path.join(EX, 'conditional/conditional.yaml');
  // The deploy succeeds: followed with the human view, exit 0.
  const good = await d.rnx(['workflow', 'run', '--follow', file], { timeoutMs: 90000 });
  assert.is(good.code, 0, good.stderr + good.stdout);
  const id = /workflow (\S+) created/.exec(good.stderr)?.[1];
  assert.ok(id, good.stderr);
  assert.match(good.stdout, /COMPLETED/);
  const ok = await wfStatus(d, id!);
  assert.is(ok.status, 'COMPLETED', ok.message);
  assert.is(job(ok, 'verify').status, 'COMPLETED');
  assert.is(job(ok, 'rollback').status, 'CANCELED');
  assert.is(job(ok, 'rollback').failureReason, "requirement 'deploy: FAILED' can no longer be met: deploy is COMPLETED");
  assert.is(job(ok, 'rollback').startTime, null, 'the rollback never ran');
  assert.is(job(ok, 'notify').status, 'COMPLETED');

  // The deploy fails: rnx run --workflow --wait follows it (one JSON object per change) and exits 1.
  const r = await d.rnx(['run', `--workflow=${file}`, '--wait', '--json', '--env', 'DEPLOY_EXIT=1'], { timeoutMs: 90000 });
  assert.is(r.code, 1, r.stderr);
  const lines = r.stdout.trim().split('\n');
  const last = JSON.parse(lines[lines.length - 1]!) as WfStatus;
  assert.is(last.status, 'FAILED');
  const bad = await wfStatus(d, last.id);
  assert.is(bad.status, 'FAILED');
  assert.match(bad.message, /job 'deploy' failed/);
  assert.is(job(bad, 'deploy').exitCode, 1);
  assert.is(job(bad, 'rollback').status, 'COMPLETED');
  assert.ok(ms(job(bad, 'rollback').startTime, 'rollback') >= ms(job(bad, 'deploy').endTime, 'deploy'));
  assert.is(job(bad, 'verify').status, 'CANCELED');
  assert.match(job(bad, 'verify').failureReason, /'deploy: COMPLETED' can no longer be met: deploy is FAILED/);
  assert.is(job(bad, 'notify').status, 'COMPLETED');
  assert.is((await d.rnx(['log', job(bad, 'rollback').id])).stdout, 'rolled back\n');
});

test('multi-workflow: a named workflow runs alone, and one job of the file runs as a plain job', async () => {
  const file = path.join(EX, 'multi-workflow/multi-workflow.yaml');
  const build = await wfWait(d, (await wfRun(d, ['run', `--workflow=${file}:build`])).id);
  assert.is(build.status, 'COMPLETED', build.message);
  assert.equal(build.jobs.map((j) => j.name), ['compile', 'test']);
  assert.is((await d.rnx(['log', job(build, 'compile').id])).stdout, 'compiling shop\n');
  const one = await d.rnx(['run', `--workflow=${file}:test`, '--wait']);
  assert.is(one.code, 0, one.stderr);
  assert.match(one.stdout, /testing shop/);
});

test('a workflow job is an ordinary job: rnx status shows its workflow and name, rnx log its output, rnx list --workflow its jobs', async () => {
  const f = tmp.write('ordinary.yaml', `
name: ordinary
defaults: {network: none}
jobs:
  hello: {command: sh, args: [-c, 'echo "hi from $WORKFLOW_JOB attempt $JOB_ATTEMPT"']}
  bye: {command: echo, args: [bye], requires: [{hello: COMPLETED}]}
`);
  const w = await wfWait(d, (await wfRun(d, ['workflow', 'run', f])).id);
  assert.is(w.status, 'COMPLETED', w.message);
  const hello = job(w, 'hello');
  const st = await d.rnx(['status', hello.id]);
  assert.is(st.code, 0, st.stderr);
  assert.match(st.stdout, new RegExp(`Workflow:\\s+${w.id} \\(job 'hello', attempt 1\\)`));
  const sj = JSON.parse((await d.rnx(['status', '--json', hello.id])).stdout) as { workflowId: string; name: string; status: string };
  assert.is(sj.workflowId, w.id);
  assert.is(sj.name, 'hello');
  assert.is(sj.status, 'COMPLETED');
  assert.is((await d.rnx(['log', hello.id])).stdout, 'hi from hello attempt 1\n');
  const list = await d.rnx(['list', '--workflow', w.id.slice(0, 8)]);
  assert.is(list.code, 0, list.stderr);
  assert.match(list.stdout, new RegExp(`${hello.id.slice(0, 8)}.*hello`));
  assert.match(list.stdout, new RegExp(`${job(w, 'bye').id.slice(0, 8)}.*bye`));
  const lj = JSON.parse((await d.rnx(['list', '--json', '--workflow', w.id])).stdout) as { id: string }[];
  assert.equal(lj.map((j) => j.id).sort(), w.jobs.map((j) => j.id).sort());
  // rnx status given the workflow's id prints the unified view.
  const unified = await d.rnx(['status', w.id]);
  assert.is(unified.code, 0, unified.stderr);
  assert.match(unified.stdout, /JOB UUID\s+JOB NAME\s+STATUS\s+EXIT CODE\s+DEPENDENCIES/);
  assert.match(unified.stdout, /Progress:\s+2\/2/);
  assert.match(unified.stdout, /✓ hello\n\s+└─► ✓ bye/);
});

test.run();
