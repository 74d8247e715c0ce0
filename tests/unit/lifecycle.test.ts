/** The job state machine on its own: legal and illegal transitions, persist-before-announce, store failures. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { JOB_STATUSES, isTerminal, type JobStatus } from '../../src/shared/job-status';
import { Database, JobStore } from '../../src/store/db';
import type { JobRecord } from '../../src/store/job-record';
import { IllegalTransitionError, JobLifecycle, TRANSITIONS, canTransition } from '../../src/daemon/jobs/lifecycle';

/** A JobStore whose writes can be made to fail. */
class FlakyStore extends JobStore {
  failing = false;
  override put(job: JobRecord): void {
    if (this.failing) throw new Error('ENOSPC: no space left on device');
    super.put(job);
  }
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'joblet-lifecycle-'));
const db = new Database(dir);
const store = new FlakyStore(db);
test.after(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

let n = 0;
function job(status: JobStatus = 'INITIALIZING'): JobRecord {
  const id = `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`;
  return { id, command: 'true', args: [], env: {}, workdir: '/work', status, createdAt: Date.now(), uploads: [], owner: 't', outputTruncated: false, volumes: [], limits: { cpuPercent: 0, cpuCores: '', memoryBytes: 0, ioBps: 0, pids: 0, diskBytes: 0, timeoutMs: 0 } };
}

test('the table: the documented paths are legal, terminal states have no way out, nothing else', () => {
  const legal = (path: JobStatus[]) => path.slice(1).every((to, i) => canTransition(path[i]!, to));
  assert.ok(legal(['SCHEDULED', 'INITIALIZING', 'RUNNING', 'STOPPING', 'STOPPED']));
  assert.ok(legal(['INITIALIZING', 'RUNNING', 'COMPLETED']));
  assert.ok(legal(['INITIALIZING', 'RUNNING', 'FAILED']));
  assert.ok(legal(['INITIALIZING', 'STOPPING', 'STOPPED']));
  assert.ok(legal(['RUNNING', 'STOPPING', 'FAILED']));
  assert.ok(legal(['SCHEDULED', 'CANCELED']));
  assert.ok(legal(['SCHEDULED', 'FAILED']));
  for (const s of JOB_STATUSES) if (isTerminal(s)) assert.equal(TRANSITIONS[s], [], s);
  assert.not.ok(canTransition('RUNNING', 'CANCELED'));
  assert.not.ok(canTransition('RUNNING', 'SCHEDULED'));
  assert.not.ok(canTransition('INITIALIZING', 'STOPPED'), 'a stop always shows STOPPING first');
  assert.not.ok(canTransition('STOPPING', 'RUNNING'));
  assert.not.ok(canTransition('COMPLETED', 'FAILED'));
});

test('every transition is stored before listeners hear of it; history records when each state began', () => {
  const logs: string[] = [];
  const lc = new JobLifecycle(store, (m) => logs.push(m));
  const seen: string[] = [];
  lc.subscribe((c) => {
    // What the listener reacts to is already durable.
    assert.is(store.get(c.job.id)?.status, c.to);
    seen.push(`${c.from ?? '-'}>${c.to}`);
  });
  const j = lc.create(job('SCHEDULED'));
  lc.transition(j.id, 'INITIALIZING');
  lc.transition(j.id, 'RUNNING', { startedAt: 5 });
  const end = lc.transition(j.id, 'COMPLETED', { exitCode: 0 });
  assert.equal(seen, ['->SCHEDULED', 'SCHEDULED>INITIALIZING', 'INITIALIZING>RUNNING', 'RUNNING>COMPLETED']);
  assert.equal(end.history!.map((h) => h.status), ['SCHEDULED', 'INITIALIZING', 'RUNNING', 'COMPLETED']);
  assert.ok(end.history!.every((h, i, all) => i === 0 || h.at >= all[i - 1]!.at));
  assert.ok(end.endedAt !== undefined, 'a terminal state sets endedAt');
  assert.is(store.get(j.id)!.startedAt, 5);
  assert.equal(logs, []);
});

test('an illegal transition is refused, logged as a bug, and changes nothing', () => {
  const logs: string[] = [];
  const lc = new JobLifecycle(store, (m) => logs.push(m));
  let heard = 0;
  lc.subscribe(() => heard++);
  const j = lc.create(job());
  lc.transition(j.id, 'RUNNING');
  const before = store.get(j.id);
  assert.throws(() => lc.transition(j.id, 'CANCELED'), (e: unknown) => e instanceof IllegalTransitionError && /RUNNING → CANCELED/.test((e as Error).message));
  assert.is(lc.tryTransition(j.id, 'SCHEDULED'), undefined);
  assert.equal(store.get(j.id), before);
  assert.is(heard, 2);
  assert.is(logs.length, 2);
  assert.match(logs[0]!, /^BUG: illegal job state transition RUNNING → CANCELED for job .* refused; the job keeps its state$/);
  assert.throws(() => lc.create(job('RUNNING')), (e: unknown) => e instanceof IllegalTransitionError);
  assert.throws(() => lc.transition('00000000-0000-4000-8000-999999999999', 'RUNNING'), /\(none\) → RUNNING/);
});

test('a store that refuses a write: the state is kept in memory, announced, served, and written later', () => {
  const logs: string[] = [];
  const lc = new JobLifecycle(store, (m) => logs.push(m));
  const j = lc.create(job());
  lc.transition(j.id, 'RUNNING');
  const ended: string[] = [];
  lc.subscribe((c) => isTerminal(c.to) && ended.push(c.job.id));
  store.failing = true;
  try {
    const done = lc.transition(j.id, 'FAILED', { exitCode: 1 });
    assert.is(done.status, 'FAILED');
    assert.equal(ended, [j.id], 'followers must hear the end even when the disk is full');
    assert.is(lc.get(j.id)!.status, 'FAILED', 'readers see the unsaved state');
    assert.is(store.get(j.id)!.status, 'RUNNING');
    assert.is(lc.unsavedCount, 1);
    assert.match(logs.at(-1)!, /cannot write its record \(FAILED\) to the store: ENOSPC/);
    assert.is(lc.flush(), 1, 'still failing');
  } finally {
    store.failing = false;
  }
  assert.is(lc.flush(), 0);
  assert.is(store.get(j.id)!.status, 'FAILED');
  lc.close();
});

test('settled() resolves when a job reaches a terminal state', async () => {
  const lc = new JobLifecycle(store, () => undefined);
  const j = lc.create(job());
  const p = lc.settled(j.id);
  lc.transition(j.id, 'STOPPING');
  lc.transition(j.id, 'STOPPED');
  assert.is((await p).status, 'STOPPED');
  assert.is((await lc.settled(j.id)).status, 'STOPPED');
});

test.run();
