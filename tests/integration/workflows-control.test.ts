/**
 * Workflows under control, through a real daemon: bad workflows are refused whole with nothing
 * created (by rnx and, for what only the server knows or a client that skips rnx's checks, by the
 * server), a flaky job is retried, `rnx workflow stop` stops the running jobs and cancels the
 * pending ones, `rnx workflow rerun --from-failed` reruns only what did not complete, and the
 * SDK-style call (RunWorkflow with yamlContent, then GetWorkflowStatus) works on the wire.
 */
import { createClient } from 'nice-grpc';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { JobServiceDefinition } from '../../src/gen/joblet';
import { TestDaemon } from '../helpers/daemon';
import { Status, nodePems, openChannel } from '../helpers/grpc';
import { job, jobIds, ms, wfDir, wfRun, wfStatus, wfWait } from '../helpers/workflow';

let d: TestDaemon;
const tmp = wfDir();

test.before(async () => {
  d = await TestDaemon.start();
  for (const v of ['flaky', 'marks']) {
    const r = await d.rnx(['volume', 'create', v, '--size=4MB', '--type=memory']);
    assert.is(r.code, 0, r.stderr);
  }
});
test.after(async () => {
  await d?.destroy();
  tmp.cleanup();
});

/** The workflows the daemon has (every state). */
async function workflowIds(): Promise<string[]> {
  const r = await d.rnx(['workflow', 'list', '--json']);
  assert.is(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as { id: string }[]).map((w) => w.id).sort();
}

const CYCLE = `
name: cyclic
defaults: {network: none}
jobs:
  a: {command: 'true', requires: [{c: COMPLETED}]}
  b: {command: 'true', requires: [{a: COMPLETED}]}
  c: {command: 'true', requires: [{b: COMPLETED}]}
  free: {command: 'true'}
`;
const UNKNOWN = `
name: unknown-dep
defaults: {network: none}
jobs:
  a: {command: 'true'}
  b: {command: 'true', requires: [{nosuch: COMPLETED}]}
`;
const NO_VOLUME = `
name: no-volume
defaults: {network: none}
jobs:
  a: {command: 'true'}
  b: {command: 'true', volumes: [flaky, missing-vol], requires: [{a: COMPLETED}]}
`;

test('cycles, unknown requirements and missing volumes are refused with a clear message, and nothing is created', async () => {
  const jobsBefore = await jobIds(d);
  const wfBefore = await workflowIds();
  const cycle = await d.rnx(['run', `--workflow=${tmp.write('cycle.yaml', CYCLE)}`]);
  assert.is(cycle.code, 1, cycle.stdout);
  assert.match(cycle.stderr, /cycle\.yaml:\d+: .*cycle: (a → c → b → a|a → b → c → a|b → a → c → b|c → b → a → c)/);
  const unknown = await d.rnx(['workflow', 'run', tmp.write('unknown.yaml', UNKNOWN)]);
  assert.is(unknown.code, 1, unknown.stdout);
  assert.match(unknown.stderr, /unknown\.yaml:\d+: jobs\.b\.requires\[0\].*'nosuch'/);
  assert.match(unknown.stderr, /\ba\b/, 'names the jobs there are');
  // Only the server knows the volumes: it refuses, listing those that exist.
  const vol = await d.rnx(['run', `--workflow=${tmp.write('novol.yaml', NO_VOLUME)}`]);
  assert.is(vol.code, 1, vol.stdout);
  assert.match(vol.stderr, /novol\.yaml:\d+: jobs\.b\.volumes\[1\]: volume 'missing-vol' does not exist \(volumes: [^)]*flaky[^)]*\); create it with 'rnx volume create missing-vol/);
  // validate says the same without running anything, exit 1, every problem listed.
  const v = await d.rnx(['workflow', 'validate', '--json', tmp.dir + '/novol.yaml']);
  assert.is(v.code, 1, v.stderr);
  const vj = JSON.parse(v.stdout) as { valid: boolean; problems: string[] };
  assert.is(vj.valid, false);
  assert.is(vj.problems.length, 1);
  assert.match(vj.problems[0]!, /missing-vol/);
  assert.equal(await jobIds(d), jobsBefore, 'no job was created');
  assert.equal(await workflowIds(), wfBefore, 'no workflow was created');
});

test("the server refuses a cycle and an unknown requirement on its own (a client that skips rnx's checks), creating nothing", async () => {
  const jobsBefore = await jobIds(d);
  const ch = openChannel(`127.0.0.1:${d.port}`, nodePems(d.rnxConfig, 'default'));
  const jobs = createClient(JobServiceDefinition, ch);
  try {
    for (const [file, yaml, re] of [
      ['cycle.yaml', CYCLE, /cycle: /],
      ['unknown.yaml', UNKNOWN, /'nosuch'/],
      ['novol.yaml', NO_VOLUME, /volume 'missing-vol' does not exist/],
    ] as const) {
      const err = await jobs.runWorkflow({ workflow: file, yamlContent: yaml } as never).then(
        () => undefined,
        (e: { code: number; details: string }) => e,
      );
      assert.ok(err, `${file} was accepted`);
      assert.is(err!.code, Status.INVALID_ARGUMENT, err!.details);
      assert.match(err!.details, new RegExp(`${file.replace('.', '\\.')}:\\d+: `));
      assert.match(err!.details, re);
    }
  } finally {
    ch.close();
  }
  assert.equal(await jobIds(d), jobsBefore, 'no job was created');
});

test('a flaky job is retried: it fails the first time, then completes, and its dependent runs after it', async () => {
  const f = tmp.write('flaky.yaml', `
name: flaky
defaults: {network: none, volumes: [flaky]}
jobs:
  reset: {command: sh, args: [-c, 'rm -f /volumes/flaky/count']}
  flaky:
    command: sh
    # Counts its attempts in the volume; the first one fails.
    args: [-c, 'n=$(($(cat /volumes/flaky/count 2>/dev/null || echo 0) + 1)); echo $n > /volumes/flaky/count; echo "attempt $n"; [ $n -ge 2 ]']
    retries: {count: 3, backoff: 1s}
    requires: [{reset: COMPLETED}]
  after: {command: cat, args: [/volumes/flaky/count], requires: [{flaky: COMPLETED}]}
`);
  const w = await wfWait(d, (await wfRun(d, ['workflow', 'run', f])).id);
  assert.is(w.status, 'COMPLETED', w.message);
  const fl = job(w, 'flaky');
  assert.is(fl.status, 'COMPLETED');
  assert.is(fl.attempt, 2);
  assert.is(fl.maxAttempts, 4);
  assert.is(fl.attemptIds.length, 2);
  assert.is(fl.attemptIds[1], fl.id);
  const first = JSON.parse((await d.rnx(['status', '--json', fl.attemptIds[0]!])).stdout) as { status: string; exitCode: number; attempt: number; name: string; endTime: string };
  assert.is(first.status, 'FAILED');
  assert.is(first.exitCode, 1);
  assert.is(first.attempt, 1);
  assert.is(first.name, 'flaky');
  assert.is((await d.rnx(['log', fl.attemptIds[0]!])).stdout, 'attempt 1\n');
  assert.is((await d.rnx(['log', fl.id])).stdout, 'attempt 2\n');
  // The backoff held: the second attempt started at least 1 s after the first ended.
  assert.ok(ms(fl.startTime, 'flaky') - ms(first.endTime, 'attempt 1') >= 1000);
  assert.is((await d.rnx(['log', job(w, 'after').id])).stdout, '2\n');
  // Every attempt is in rnx list --workflow.
  const listed = JSON.parse((await d.rnx(['list', '--json', '--workflow', w.id])).stdout) as { id: string }[];
  assert.is(listed.length, 4);
});

test('rnx workflow stop stops the running jobs and cancels the pending ones', async () => {
  const f = tmp.write('stop.yaml', `
name: to-stop
defaults: {network: none}
jobs:
  long: {command: sleep, args: ['300']}
  next: {command: 'true', requires: [{long: COMPLETED}]}
  cleanup: {command: 'true', requires: [{long: FINISHED}]}
`);
  const created = await wfRun(d, ['workflow', 'run', f]);
  await wfWait(d, created.id, (w) => job(w, 'long').status === 'RUNNING');
  const r = await d.rnx(['workflow', 'stop', '--json', created.id.slice(0, 8)], { timeoutMs: 60000 });
  assert.is(r.code, 0, r.stderr);
  const w = JSON.parse(r.stdout) as Awaited<ReturnType<typeof wfStatus>>;
  assert.is(w.status, 'STOPPED');
  assert.match(w.message, /stopped by /);
  assert.is(job(w, 'long').status, 'STOPPED');
  for (const n of ['next', 'cleanup']) {
    assert.is(job(w, n).status, 'CANCELED');
    assert.match(job(w, n).failureReason, /workflow stopped by /);
    assert.is(job(w, n).startTime, null);
  }
  assert.is(w.stoppedJobs, 1);
  assert.is(w.canceledJobs, 2);
  // It has ended: a second stop is refused clearly.
  const again = await d.rnx(['workflow', 'stop', created.id]);
  assert.is(again.code, 1);
  assert.match(again.stderr, /has already ended \(STOPPED\)/);
});

test('rnx workflow rerun --from-failed reruns only what did not complete, as a new workflow linked to the old one', async () => {
  await d.waitDone(await d.run(['--volume=marks', 'rm', '-f', '/volumes/marks/ok']));
  const f = tmp.write('rerun.yaml', `
name: rerun-me
defaults: {network: none, volumes: [marks]}
jobs:
  first: {command: echo, args: [first]}
  check: {command: test, args: [-e, /volumes/marks/ok], requires: [{first: COMPLETED}]}
  last: {command: echo, args: [last], requires: [{check: COMPLETED}]}
`);
  const old = await wfWait(d, (await wfRun(d, ['workflow', 'run', f])).id);
  assert.is(old.status, 'FAILED');
  assert.equal(old.jobs.map((j) => j.status), ['COMPLETED', 'FAILED', 'CANCELED']);
  await d.waitDone(await d.run(['--volume=marks', 'touch', '/volumes/marks/ok']));
  const r = await d.rnx(['workflow', 'rerun', '--from-failed', '--json', old.id.slice(0, 8)]);
  assert.is(r.code, 0, r.stderr);
  const created = JSON.parse(r.stdout) as { id: string; rerunOf: string };
  assert.is(created.rerunOf, old.id);
  const w = await wfWait(d, created.id);
  assert.is(w.status, 'COMPLETED', w.message);
  assert.is(job(w, 'first').id, job(old, 'first').id, 'the COMPLETED job is reused, not run again');
  assert.is(job(w, 'first').reusedFrom, old.id);
  assert.ok(job(w, 'check').id !== job(old, 'check').id && job(w, 'check').reusedFrom === '');
  assert.is(job(w, 'check').status, 'COMPLETED');
  assert.is(job(w, 'last').status, 'COMPLETED');
  assert.equal((await wfStatus(d, old.id)).reruns, [w.id]);
  // Everything completed now: nothing left to rerun from-failed.
  const none = await d.rnx(['workflow', 'rerun', '--from-failed', w.id]);
  assert.is(none.code, 1);
  assert.match(none.stderr, /nothing to rerun with --from-failed/);
});

test('SDK-style: RunWorkflow with yamlContent and workflowFiles over gRPC, then poll GetWorkflowStatus until it ends', async () => {
  const ch = openChannel(`127.0.0.1:${d.port}`, nodePems(d.rnxConfig, 'default'));
  const jobs = createClient(JobServiceDefinition, ch);
  try {
    const yaml = `
name: sdk
jobs:
  produce: {command: sh, args: [-c, 'cat input/hello.txt'], uploads: {files: [input/hello.txt]}, network: none}
  consume: {command: echo, args: ['\${GREETING}'], requires: [{produce: COMPLETED}], network: none}
environment: {GREETING: from-sdk}
`;
    const res = await jobs.runWorkflow({ workflow: 'sdk.yaml', yamlContent: yaml, workflowFiles: [{ path: 'input/hello.txt', content: Buffer.from('hello over the wire\n'), mode: 0o644, isDirectory: false }] } as never);
    assert.match(res.workflowUuid, /^[0-9a-f-]{36}$/);
    assert.ok(['PENDING', 'RUNNING'].includes(res.status), res.status);
    let st = await jobs.getWorkflowStatus({ workflowUuid: res.workflowUuid } as never);
    for (const until = Date.now() + 60000; !['COMPLETED', 'FAILED', 'CANCELED', 'STOPPED'].includes(st.workflow!.status); ) {
      assert.ok(Date.now() < until, `still ${st.workflow!.status}`);
      await new Promise((r) => setTimeout(r, 100));
      st = await jobs.getWorkflowStatus({ workflowUuid: res.workflowUuid } as never);
    }
    assert.is(st.workflow!.status, 'COMPLETED');
    assert.is(st.workflow!.workflow, 'sdk.yaml');
    assert.is(st.workflow!.totalJobs, 2);
    assert.is(st.workflow!.completedJobs, 2);
    assert.equal(st.jobs.map((j) => [j.jobName, j.status, j.exitCode, j.dependencies]), [
      ['produce', 'COMPLETED', 0, []],
      ['consume', 'COMPLETED', 0, ['produce']],
    ]);
    const wj = await jobs.getWorkflowJobs({ workflowUuid: res.workflowUuid } as never);
    assert.equal(wj.jobs.map((j) => j.jobUuid), st.jobs.map((j) => j.jobUuid));
    const listed = await jobs.listWorkflows({ includeCompleted: true } as never);
    assert.ok(listed.workflows.some((w) => w.uuid === res.workflowUuid));
    const active = await jobs.listWorkflows({ includeCompleted: false } as never);
    assert.ok(!active.workflows.some((w) => w.uuid === res.workflowUuid), 'an ended workflow is not listed as active');
    assert.is((await d.rnx(['log', st.jobs[0]!.jobUuid])).stdout, 'hello over the wire\n');
    assert.is((await d.rnx(['log', st.jobs[1]!.jobUuid])).stdout, 'from-sdk\n');
  } finally {
    ch.close();
  }
});

test.run();
