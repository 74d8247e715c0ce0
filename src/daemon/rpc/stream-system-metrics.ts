/**
 * MonitoringService.StreamSystemMetrics: a sample at once, then one per interval_seconds (0 = 5,
 * 1-3600), with only the sections metric_types names (cpu, memory, disk, network, io, process;
 * all when empty). Ends when the client goes away.
 */
import type { CallContext } from 'nice-grpc';
import type { StreamMetricsRequest, SystemMetricsResponse } from '../../gen/joblet';
import type { MonitoringManager } from '../monitoring/manager';

/** Handler factory. */
export function streamSystemMetrics(monitoring: MonitoringManager) {
  return async function* (req: StreamMetricsRequest, ctx: CallContext): AsyncGenerator<SystemMetricsResponse> {
    for await (const s of monitoring.systemStream(req.intervalSeconds, req.metricTypes, ctx.signal)) {
      yield {
        timestamp: s.timestamp,
        host: s.host,
        cpu: s.cpu,
        memory: s.memory,
        disks: s.disks ?? [],
        networks: s.networks ?? [],
        io: s.io,
        processes: s.processes,
        cloud: s.cloud,
      };
    }
  };
}
