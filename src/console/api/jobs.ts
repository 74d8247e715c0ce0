/** Jobs: one page of the list, one job, stop, cancel, delete — each one RPC through the node's connection. */
import { jobJson } from '../../cli/format';
import type { Connection } from '../../cli/client';
import { parseJobsPageQuery, serverStatuses, shapePage, type JobsPageQuery, type JobsPageView } from '../shared/jobs-paging';
import type { JobView } from '../shared/types';
import type { Route } from './route';

/** One page of the jobs list, paged and filtered by status on the server. */
export async function fetchJobsPage(c: Connection, q: JobsPageQuery, signal?: AbortSignal): Promise<JobsPageView> {
  const r = await c.jobs.listJobs({ pageSize: q.limit, pageToken: q.before, statuses: serverStatuses(q), since: '', workflowUuid: '' }, { signal });
  return shapePage(r.jobs.map(jobJson), r.nextPageToken, q);
}

/** Routes of the jobs area (the live ones are in jobs-feed.ts and job-live.ts, the form's in run.ts). */
export const jobRoutes: Route[] = [
  {
    method: 'GET',
    path: 'jobs',
    async handle({ pool, node, url }): Promise<JobsPageView> {
      return pool.call(node, (c) => fetchJobsPage(c, parseJobsPageQuery(url.searchParams)));
    },
  },
  {
    method: 'GET',
    path: 'jobs/:id',
    async handle({ pool, node, params }): Promise<JobView> {
      return jobJson(await pool.call(node, (c) => c.jobs.getJobStatus({ uuid: params.id! })));
    },
  },
  {
    method: 'POST',
    path: 'jobs/:id/stop',
    write: true,
    async handle({ pool, node, params, feeds }) {
      const r = await pool.call(node, (c) => c.jobs.stopJob({ uuid: params.id! }));
      feeds.poke(node);
      return { id: r.uuid, status: r.status, endTime: r.endTime, exitCode: r.exitCode };
    },
  },
  {
    method: 'POST',
    path: 'jobs/:id/cancel',
    write: true,
    async handle({ pool, node, params, feeds }) {
      const r = await pool.call(node, (c) => c.jobs.cancelJob({ uuid: params.id! }));
      feeds.poke(node);
      return { id: r.uuid, status: r.status };
    },
  },
  {
    method: 'DELETE',
    path: 'jobs/:id',
    write: true,
    async handle({ pool, node, params, feeds }) {
      const r = await pool.call(node, (c) => c.jobs.deleteJob({ uuid: params.id! }));
      feeds.poke(node);
      return { id: r.uuid, deleted: r.success };
    },
  },
  {
    method: 'POST',
    path: 'jobs/delete-finished',
    write: true,
    async handle({ pool, node, feeds }) {
      const r = await pool.call(node, (c) => c.jobs.deleteAllJobs({}));
      feeds.poke(node);
      return { deleted: r.deletedCount, skipped: r.skippedCount };
    },
  },
];
