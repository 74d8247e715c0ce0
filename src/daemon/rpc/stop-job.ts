/** JobService.StopJob: SIGTERM, the grace period, then SIGKILL to every process of the job. */
import type { StopJobRequest, StopJobResponse } from '../../gen/joblet';
import type { CallerContext } from '../middleware/auth';
import type { JobManager } from '../jobs/manager';

/** Handler factory. */
export function stopJob(jobs: JobManager) {
  return async (req: StopJobRequest, ctx: CallerContext): Promise<StopJobResponse> => {
    const job = await jobs.stop(req.uuid, ctx.caller.name);
    return { uuid: job.id, status: job.status, endTime: job.endedAt ? new Date(job.endedAt).toISOString() : '', exitCode: job.exitCode ?? 0 };
  };
}
