/**
 * The rules of a workflow run on their own (when it is COMPLETED, FAILED, STOPPED or CANCELED;
 * when a failed attempt is retried) and the DAG drawn as text.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { dagLines, type WorkflowJobJson } from '../../src/cli/workflow-format';
import { counts, outcome, retryAt } from '../../src/daemon/workflows/engine';
import type { JobStatus } from '../../src/shared/job-status';
import type { WorkflowJobRecord, WorkflowRecord } from '../../src/store/workflow-record';

const REC: WorkflowRecord = { id: 'w', name: 'w', file: 'w.yaml', workflowName: '', description: '', status: 'RUNNING', onFailure: 'continue', yaml: '', owner: 't', createdAt: 0 };

function job(name: string, status: JobStatus, extra: Partial<WorkflowJobRecord> = {}): WorkflowJobRecord {
  return {
    name,
    status,
    workflowId: 'w',
    index: 0,
    jobId: `${name}-1`,
    attempts: [`${name}-1`],
    spec: {} as never,
    secretEnv: {},
    requires: [],
    dependencies: [],
    retries: { count: 0, backoffMs: 0, exponential: false },
    allowFailure: false,
    uploads: [],
    ran: status !== 'PENDING' && status !== 'CANCELED',
    ...extra,
  };
}

test('when a workflow counts as COMPLETED, FAILED, STOPPED or CANCELED', () => {
  assert.equal(outcome(REC, [job('a', 'COMPLETED'), job('b', 'RUNNING')]), { status: 'RUNNING' });
  assert.equal(outcome(REC, [job('a', 'PENDING')]), { status: 'PENDING' });
  // A branch not taken (CANCELED by its requirement) does not spoil a COMPLETED run.
  assert.equal(outcome(REC, [job('a', 'COMPLETED'), job('on-fail', 'CANCELED')]), { status: 'COMPLETED' });
  assert.equal(outcome(REC, [job('a', 'FAILED', { failureReason: 'exited with code 1' }), job('on-fail', 'COMPLETED')]), { status: 'FAILED', message: "job 'a' failed: exited with code 1" });
  assert.equal(outcome(REC, [job('a', 'FAILED', { allowFailure: true }), job('b', 'COMPLETED')]), { status: 'COMPLETED' });
  assert.equal(outcome(REC, [job('a', 'STOPPED'), job('b', 'FAILED')]).message, '2 jobs did not complete (a STOPPED, b FAILED)');
  assert.equal(outcome(REC, [job('a', 'CANCELED'), job('b', 'CANCELED')]), { status: 'CANCELED', message: 'every job was canceled' });
  const stopped = { ...REC, stop: { by: 'ann', at: 1 } };
  assert.equal(outcome(stopped, [job('a', 'STOPPED', { stoppedByWorkflow: true }), job('b', 'CANCELED')]), { status: 'STOPPED', message: 'stopped by ann' });
  assert.equal(outcome(stopped, [job('a', 'CANCELED'), job('b', 'CANCELED')]), { status: 'CANCELED', message: 'stopped by ann before any job started' });
  const onFailure = { ...REC, stop: { by: 'x', at: 1, onFailure: true } };
  assert.equal(outcome(onFailure, [job('bad', 'FAILED'), job('slow', 'STOPPED', { stoppedByWorkflow: true })]), { status: 'FAILED', message: "job 'bad' failed; the rest was stopped (on_failure: stop)" });
  // A retry that is due keeps the workflow running and the job PENDING.
  assert.equal(outcome(REC, [job('a', 'FAILED', { retryAt: 5 })]), { status: 'RUNNING' });
  assert.equal(counts([job('a', 'FAILED', { retryAt: 5 }), job('b', 'COMPLETED'), job('c', 'RUNNING')]), { total: 3, completed: 1, failed: 0, canceled: 0, stopped: 0, running: 1, pending: 1 });
});

test('retries: FAILED (or stopped by a shutdown) is retried while attempts remain; a stop someone asked for never is', () => {
  const pol = { count: 2, backoffMs: 1000, exponential: true };
  assert.is(retryAt(job('a', 'FAILED', { retries: pol }), false, 100), 1100);
  assert.is(retryAt(job('a', 'FAILED', { retries: pol, attempts: ['1', '2'] }), false, 100), 2100, 'doubled for the second retry');
  assert.is(retryAt(job('a', 'FAILED', { retries: pol, attempts: ['1', '2', '3'] }), false, 100), undefined, 'out of attempts');
  assert.is(retryAt(job('a', 'STOPPED', { retries: pol }), false, 100), undefined);
  assert.is(retryAt(job('a', 'STOPPED', { retries: pol, interrupted: true }), false, 100), 1100);
  assert.is(retryAt(job('a', 'FAILED', { retries: pol }), true, 100), undefined, 'not while the workflow is being stopped');
  assert.is(retryAt(job('a', 'FAILED', { retries: { ...pol, exponential: false }, attempts: ['1', '2'] }), false, 0), 1000);
});

function wj(name: string, status: string, dependencies: string[] = [], requirements: string[] = dependencies.map((d) => `${d}: COMPLETED`)): WorkflowJobJson {
  return { name, id: name, status, exitCode: null, dependencies, requirements, startTime: null, endTime: null, attempt: 1, maxAttempts: 1, attemptIds: [], failureReason: '', nextAttemptTime: null, allowFailure: false, reusedFrom: '' };
}

test('the DAG as text: each job under the dependency that runs last, the others named, conditions shown', () => {
  const lines = dagLines([
    wj('extract', 'COMPLETED'),
    wj('validate', 'COMPLETED', ['extract']),
    wj('profile', 'RUNNING', ['extract']),
    wj('transform', 'PENDING', ['validate', 'profile']),
    wj('alert', 'CANCELED', ['transform'], ['transform: FAILED']),
    wj('lone', 'FAILED'),
  ]);
  assert.equal(lines, [
    'DAG (✓ completed  ✗ failed  ▶ running  ○ pending  – canceled  ■ stopped):',
    '  ✓ extract',
    '  ├─► ✓ validate',
    '  │   └─► ○ transform  (also after profile)',
    '  │       └─► – alert  (when transform: FAILED)',
    '  └─► ▶ profile',
    '  ✗ lone',
  ]);
});

test.run();
