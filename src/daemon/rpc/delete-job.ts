/** JobService.DeleteJob: remove a finished job and its output. */
import type { DeleteJobRequest, DeleteJobResponse } from '../../gen/joblet';
import type { JobManager } from '../jobs/manager';

/** Handler factory. */
export function deleteJob(jobs: JobManager) {
  return async (req: DeleteJobRequest): Promise<DeleteJobResponse> => {
    const id = jobs.delete(req.uuid);
    return { uuid: id, success: true, message: `job ${id} deleted` };
  };
}
