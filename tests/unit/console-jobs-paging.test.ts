/** The console's jobs list as the server pages it: the query in the address, statuses asked of the server, the page shaped for the table. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { jobsPageQueryString, parseJobsPageQuery, serverStatuses, shapePage } from '../../src/console/shared/jobs-paging';
import type { JobView } from '../../src/console/shared/types';

function job(n: number, command = 'echo', owner = 'admin-client'): JobView {
  return {
    id: `${String(n).padStart(8, '0')}-0000-4000-8000-000000000000`, command, args: [`n${n}`], status: 'COMPLETED', createdTime: null, startTime: null, endTime: null, durationMs: 0, exitCode: 0, signal: '',
    failureReason: '', workDir: '/work', uploads: [], environment: {}, outputTruncated: false, owner,
    limits: { cpuPercent: 0, cpuCores: '', memoryBytes: 0, ioBps: 0, pids: 0, diskBytes: 0, timeoutMs: 0 }, usage: { cpuSeconds: 0, memoryPeakBytes: 0, oomKills: 0 },
    runtime: '', scheduledTime: null, scheduleId: '', scheduleName: '', history: [],
  };
}

test('the address round-trips, with defaults left out and bad values clamped or dropped', () => {
  const q = parseJobsPageQuery(new URLSearchParams('status=active,failed&q=%20make%20&limit=50&before=MTc2NDY1MjQwMDAwMC9hYmM'));
  assert.equal(q, { status: ['ACTIVE', 'FAILED'], q: 'make', limit: 50, before: 'MTc2NDY1MjQwMDAwMC9hYmM' });
  assert.is(jobsPageQueryString(q), 'status=ACTIVE%2CFAILED&q=make&limit=50&before=MTc2NDY1MjQwMDAwMC9hYmM');
  assert.is(jobsPageQueryString(parseJobsPageQuery(new URLSearchParams(''))), '');
  assert.is(parseJobsPageQuery(new URLSearchParams('limit=100000')).limit, 500);
  assert.is(parseJobsPageQuery(new URLSearchParams('limit=0')).limit, 1);
  assert.is(parseJobsPageQuery(new URLSearchParams('before=a%20b%3Cscript%3E')).before, '');
});

test('"active" asks the server for every state of a job that has not finished', () => {
  assert.equal(serverStatuses(parseJobsPageQuery(new URLSearchParams('status=ACTIVE,RUNNING'))), ['SCHEDULED', 'PENDING', 'INITIALIZING', 'RUNNING', 'STOPPING']);
  assert.equal(serverStatuses(parseJobsPageQuery(new URLSearchParams(''))), []);
});

test("the server's page (oldest first) is shown newest first; the text filter narrows only that page", () => {
  const page = [job(1), job(2, 'make'), job(3, 'echo', 'ci-bot')];
  const all = shapePage(page, 'next-token', parseJobsPageQuery(new URLSearchParams('limit=3')));
  assert.equal(all.jobs.map((j) => j.args[0]), ['n3', 'n2', 'n1']);
  assert.equal([all.fetched, all.limit, all.next], [3, 3, 'next-token']);
  const filtered = shapePage(page, '', parseJobsPageQuery(new URLSearchParams('q=CI-BOT')));
  assert.equal([filtered.jobs.map((j) => j.args[0]), filtered.fetched], [['n3'], 3]);
  assert.equal(shapePage(page, '', parseJobsPageQuery(new URLSearchParams('q=00000002'))).jobs.map((j) => j.command), ['make']);
  assert.equal(page.map((j) => j.args[0]), ['n1', 'n2', 'n3'], "the server's array is left as it was");
});

test.run();
