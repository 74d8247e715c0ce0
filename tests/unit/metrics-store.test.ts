/** The job_metrics table: ranges, paging, pruning, and samples that go with their job (and only then). */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Database, JobStore } from '../../src/store/db';
import type { JobRecord } from '../../src/store/job-record';
import { MetricsStore, type JobSample } from '../../src/store/metrics';

let dir: string;
let db: Database;
let jobs: JobStore;
let metrics: MetricsStore;

test.before.each(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'joblet-metrics-'));
  db = new Database(dir);
  jobs = new JobStore(db);
  metrics = new MetricsStore(db);
});
test.after.each(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function job(id: string, status: JobRecord['status'] = 'RUNNING'): JobRecord {
  return { id, command: 'sleep', args: [], env: {}, workdir: '/work', status, createdAt: 1, uploads: [], owner: 'admin', outputTruncated: false, volumes: [], limits: { cpuPercent: 0, cpuCores: '', memoryBytes: 0, ioBps: 0, pids: 0, diskBytes: 0, timeoutMs: 0 } };
}

const sample = (jobId: string, at: number, extra: Partial<JobSample> = {}): JobSample => ({ jobId, at, intervalMs: 1000, cpuPercent: at % 100, final: false, ...extra });

test('a full sample round-trips; unknown values stay unknown', () => {
  jobs.put(job('a'));
  const full = sample('a', 1000, {
    cpuUsageUsec: 5, memoryBytes: 6, memoryPeakBytes: 7, memoryLimitBytes: 8, ioReadBytes: 9, ioWriteBytes: 10, netRxBytes: 11, netTxBytes: 12,
    processCount: 3, cpuPeriods: 4, cpuThrottledPeriods: 2, cpuThrottledUsec: 100, oomKills: 1, pressure: { cpuSome: 1.5, memorySome: 2, memoryFull: 0.5, ioSome: 0, ioFull: 0 }, final: true,
  });
  metrics.add([full, sample('a', 2000)]);
  const got = [...metrics.range('a', 0, 10_000)];
  assert.equal(got[0], full);
  assert.equal(got[1], sample('a', 2000));
  assert.equal(metrics.latest('a'), sample('a', 2000));
  assert.is(metrics.latest('nope'), undefined);
});

test('ranges are inclusive, oldest first, limited, and page through long histories', () => {
  jobs.put(job('a'));
  jobs.put(job('b'));
  metrics.add(Array.from({ length: 2500 }, (_, i) => sample('a', 1000 + i)));
  metrics.add([sample('b', 1500)]);
  const all = [...metrics.range('a', 0, Number.MAX_SAFE_INTEGER)];
  assert.is(all.length, 2500);
  assert.ok(all.every((s, i) => s.at === 1000 + i && s.jobId === 'a'));
  assert.equal([...metrics.range('a', 1100, 1102)].map((s) => s.at), [1100, 1101, 1102]);
  assert.equal([...metrics.range('a', 1100, 5000, 3)].map((s) => s.at), [1100, 1101, 1102]);
  assert.is([...metrics.range('a', 0, 5000, 1500)].length, 1500);
});

test('updating a job (INSERT OR REPLACE) keeps its samples; deleting it deletes them', () => {
  jobs.put(job('a'));
  jobs.put(job('b'));
  metrics.add([sample('a', 1), sample('a', 2), sample('b', 1)]);
  jobs.put(job('a', 'COMPLETED'));
  assert.is(metrics.count('a'), 2, 'the REPLACE of the job row must not take its samples');
  jobs.delete('a');
  assert.is(metrics.count('a'), 0);
  assert.is(metrics.count('b'), 1, "another job's samples stay");
});

test('prune drops samples older than the cut-off, of every job', () => {
  jobs.put(job('a'));
  metrics.add([sample('a', 100), sample('a', 200), sample('a', 300)]);
  assert.is(metrics.prune(250), 2);
  assert.equal([...metrics.range('a', 0, 1000)].map((s) => s.at), [300]);
});

test('samples survive closing and reopening the database', () => {
  jobs.put(job('a'));
  metrics.add([sample('a', 42, { memoryBytes: 7 })]);
  db.close();
  db = new Database(dir);
  metrics = new MetricsStore(db);
  assert.equal(metrics.latest('a'), sample('a', 42, { memoryBytes: 7 }));
});

test.run();
