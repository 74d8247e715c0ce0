/** Jobs: one page of the list, one job, stop, delete — each one RPC through the node's connection. */
import { jobJson } from '../../cli/format';
import { pageJobs, parseJobsQuery } from '../shared/jobs-query';
import type { JobPage, JobView } from '../shared/types';
import type { Route } from './route';

/** Routes of the jobs area (the live ones are in jobs-feed.ts and job-live.ts, the form's in run.ts). */
export const jobRoutes: Route[] = [
  {
    method: 'GET',
    path: 'jobs',
    async handle({ pool, node, url }): Promise<JobPage> {
      const { jobs } = await pool.call(node, (c) => c.jobs.listJobs({}));
      return pageJobs(jobs.map(jobJson), parseJobsQuery(url.searchParams));
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
