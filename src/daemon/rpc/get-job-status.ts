/** JobService.GetJobStatus: the whole job (the original returned only id and status; we return all), with a running job's latest metrics sample. */
import type { GetJobStatusRequest, GetJobStatusResponse } from '../../gen/joblet';
import type { JobManager } from '../jobs/manager';
import type { MonitoringManager } from '../monitoring/manager';
import { toStatus } from '../mappers';
import { toMetricsEvent } from './metrics-event';

/** Handler factory. */
export function getJobStatus(jobs: JobManager, monitoring?: MonitoringManager) {
  return async (req: GetJobStatusRequest): Promise<GetJobStatusResponse> => {
    const res = toStatus(jobs.get(req.uuid));
    const current = monitoring?.current(res.uuid);
    if (current && res.detail) res.detail.current = toMetricsEvent(current);
    return res;
  };
}
