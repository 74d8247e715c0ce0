/** JobService.CancelJob: a SCHEDULED job (or a workflow job still PENDING) becomes CANCELED; any other state is FAILED_PRECONDITION. */
import type { CancelJobRequest, CancelJobResponse } from '../../gen/joblet';
import type { CallerContext } from '../middleware/auth';
import type { JobManager } from '../jobs/manager';

/** Handler factory. */
export function cancelJob(jobs: JobManager) {
  return async (req: CancelJobRequest, ctx: CallerContext): Promise<CancelJobResponse> => {
    const job = jobs.cancel(req.uuid, ctx.caller.name);
    return { uuid: job.id, status: job.status };
  };
}
