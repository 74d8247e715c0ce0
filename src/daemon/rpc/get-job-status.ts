/** JobService.GetJobStatus: the whole job (the original returned only id and status; we return all). */
import type { GetJobStatusRequest, GetJobStatusResponse } from '../../gen/joblet';
import type { JobManager } from '../jobs/manager';
import { toStatus } from '../mappers';

/** Handler factory. */
export function getJobStatus(jobs: JobManager) {
  return async (req: GetJobStatusRequest): Promise<GetJobStatusResponse> => toStatus(jobs.get(req.uuid));
}
