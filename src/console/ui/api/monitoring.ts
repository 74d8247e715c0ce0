/** Monitoring and per-job metrics: addresses of their live streams. */
import { nodeApi } from './core';

/** Address of the host's live samples, one every `interval` seconds. */
export function monitoringLiveUrl(node: string, interval = 2): string {
  return nodeApi(node, `live/monitoring?interval=${interval}`);
}

/** Address of a job's metrics: its stored samples, then the new ones while it runs. */
export function jobMetricsLiveUrl(node: string, id: string): string {
  return nodeApi(node, `live/jobs/${encodeURIComponent(id)}/metrics`);
}
