/** JobService.DeleteAllJobs: remove every finished job; running ones are skipped. */
import type { DeleteAllJobsResponse } from '../../gen/joblet';
import type { JobManager } from '../jobs/manager';

/** Handler factory. */
export function deleteAllJobs(jobs: JobManager) {
  return async (): Promise<DeleteAllJobsResponse> => {
    const { deleted, skipped } = jobs.deleteAll();
    const message = `deleted ${deleted} finished job${deleted === 1 ? '' : 's'}` + (skipped ? `; skipped ${skipped} still running` : '');
    return { success: true, message, deletedCount: deleted, skippedCount: skipped };
  };
}
