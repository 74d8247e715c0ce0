/** JobService.StreamJobMetrics: a running job's latest sample at once, then each new one; ends with the job. */
import type { CallContext } from 'nice-grpc';
import type { JobMetricsEvent, StreamJobMetricsRequest } from '../../gen/joblet';
import type { MonitoringManager } from '../monitoring/manager';
import { toMetricsEvent } from './metrics-event';

/** Handler factory. */
export function streamJobMetrics(monitoring: MonitoringManager) {
  return async function* (req: StreamJobMetricsRequest, ctx: CallContext): AsyncGenerator<JobMetricsEvent> {
    for await (const s of monitoring.jobStream(req.jobUuid, ctx.signal)) yield toMetricsEvent(s);
  };
}
