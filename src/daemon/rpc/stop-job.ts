/**
 * JobService.StopJob: SIGTERM to every process of the job, the grace period if its PID 1 handles
 * SIGTERM (StopJobRequest.grace overrides jobs.stopGraceSeconds), then SIGKILL. A scheduled job is
 * canceled.
 */
import type { StopJobRequest, StopJobResponse } from '../../gen/joblet';
import { InvalidArgumentError } from '../../shared/errors';
import { parseGrace } from '../../shared/schedule';
import type { CallerContext } from '../middleware/auth';
import type { JobManager } from '../jobs/manager';

/** Handler factory. */
export function stopJob(jobs: JobManager) {
  return async (req: StopJobRequest, ctx: CallerContext): Promise<StopJobResponse> => {
    const grace = req.grace ? parseGrace('grace', req.grace) : undefined;
    if (grace !== undefined && grace > 3600_000) throw new InvalidArgumentError('grace: at most 1h');
    const job = await jobs.stop(req.uuid, ctx.caller.name, grace);
    return { uuid: job.id, status: job.status, endTime: job.endedAt ? new Date(job.endedAt).toISOString() : '', exitCode: job.exitCode ?? 0 };
  };
}
