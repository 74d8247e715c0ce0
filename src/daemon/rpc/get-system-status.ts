/** MonitoringService.GetSystemStatus: the host now, every section, and the server's build (`available` is always true when we answer). */
import type { EmptyRequest, SystemStatusResponse } from '../../gen/joblet';
import type { MonitoringManager } from '../monitoring/manager';

/** Handler factory. */
export function getSystemStatus(monitoring: MonitoringManager) {
  return async (_req: EmptyRequest): Promise<SystemStatusResponse> => {
    const s = await monitoring.systemStatus();
    return {
      timestamp: s.timestamp,
      available: true,
      host: s.host,
      cpu: s.cpu,
      memory: s.memory,
      disks: s.disks ?? [],
      networks: s.networks ?? [],
      io: s.io,
      processes: s.processes,
      cloud: s.cloud,
      serverVersion: s.serverVersion,
    };
  };
}
