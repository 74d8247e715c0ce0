/** JobService.ListJobs: every job, oldest first. */
import type { Jobs } from '../../gen/joblet';
import type { JobManager } from '../jobs/manager';
import { toJob } from '../mappers';

/** Handler factory. */
export function listJobs(jobs: JobManager) {
  return async (): Promise<Jobs> => ({ jobs: jobs.list().map(toJob) });
}
