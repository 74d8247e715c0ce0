/** The console's jobs list: filter by status and text, newest first, pages, counts over all jobs. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { jobsQueryString, pageJobs, parseJobsQuery } from '../../src/console/shared/jobs-query';
import type { JobView } from '../../src/console/shared/types';

function job(n: number, status: string, command = 'echo', owner = 'admin-client'): JobView {
  const id = `${String(n).padStart(8, '0')}-0000-4000-8000-000000000000`;
  return {
    id, command, args: [`n${n}`], status, createdTime: `2026-01-01T00:00:${String(n).padStart(2, '0')}.000Z`, startTime: null, endTime: null, durationMs: 0, exitCode: null, signal: '',
    failureReason: '', workDir: '/work', uploads: [], environment: {}, outputTruncated: false, owner,
    limits: { cpuPercent: 0, cpuCores: '', memoryBytes: 0, ioBps: 0, pids: 0, diskBytes: 0, timeoutMs: 0 }, usage: { cpuSeconds: 0, memoryPeakBytes: 0, oomKills: 0 },
    runtime: '', scheduledTime: null, scheduleId: '', scheduleName: '', history: [],
  };
}

const jobs = [job(1, 'COMPLETED'), job(2, 'RUNNING', 'python3'), job(3, 'FAILED'), job(4, 'INITIALIZING', 'make', 'ci-bot'), job(5, 'COMPLETED')];

test('newest first, paged, with counts over every job whatever the filter', () => {
  const p = pageJobs(jobs, parseJobsQuery(new URLSearchParams('limit=2&offset=2')));
  assert.equal(p.jobs.map((j) => j.args[0]), ['n3', 'n2']);
  assert.is(p.total, 5);
  assert.equal(p.counts, { COMPLETED: 2, RUNNING: 1, FAILED: 1, INITIALIZING: 1 });
  assert.equal(pageJobs(jobs, parseJobsQuery(new URLSearchParams('status=FAILED'))).counts, p.counts);
});

test('status filter: one status, several, or every unfinished one', () => {
  const ids = (qs: string) => pageJobs(jobs, parseJobsQuery(new URLSearchParams(qs))).jobs.map((j) => j.args[0]);
  assert.equal(ids('status=completed'), ['n5', 'n1']);
  assert.equal(ids('status=FAILED,RUNNING'), ['n3', 'n2']);
  assert.equal(ids('status=active'), ['n4', 'n2']);
});

test('text filter looks at the id, the command line and the owner', () => {
  const ids = (q: string) => pageJobs(jobs, { status: [], q, offset: 0, limit: 25 }).jobs.map((j) => j.args[0]);
  assert.equal(ids('PYTHON'), ['n2']);
  assert.equal(ids('n5'), ['n5']);
  assert.equal(ids('00000003'), ['n3']);
  assert.equal(ids('ci-bot'), ['n4']);
});

test('a page past the end shows the last page; out-of-range numbers are clamped', () => {
  const p = pageJobs(jobs, { status: [], q: '', offset: 40, limit: 2 });
  assert.is(p.offset, 4);
  assert.equal(p.jobs.map((j) => j.args[0]), ['n1']);
  const q = parseJobsQuery(new URLSearchParams('limit=100000&offset=-3'));
  assert.is(q.limit, 500);
  assert.is(q.offset, 0);
  assert.is(jobsQueryString(parseJobsQuery(new URLSearchParams('status=RUNNING&q=x&limit=50'))), 'status=RUNNING&q=x&limit=50');
  assert.is(jobsQueryString(parseJobsQuery(new URLSearchParams(''))), '');
});

test.run();
