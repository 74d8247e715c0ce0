/**
 * JobService.GetJobMetrics: a job's stored samples between start_time and end_time (Unix ns;
 * 0 = from the start / until now), oldest first, at most `limit` (0 = all); then the stream ends.
 */
import type { GetJobMetricsRequest, JobMetricsEvent } from '../../gen/joblet';
import type { MonitoringManager } from '../monitoring/manager';
import { toMetricsEvent } from './metrics-event';

/** Handler factory. */
export function getJobMetrics(monitoring: MonitoringManager) {
  return async function* (req: GetJobMetricsRequest): AsyncGenerator<JobMetricsEvent> {
    const { samples } = monitoring.jobHistory(req.jobUuid, req.startTime, req.endTime, req.limit);
    for (const s of samples) yield toMetricsEvent(s);
  };
}
