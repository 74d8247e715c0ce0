/** A stored job sample as the wire's JobMetricsEvent (shared by GetJobMetrics, StreamJobMetrics and GetJobStatus). */
import type { JobMetricsEvent } from '../../gen/joblet';
import type { JobSample } from '../../store/metrics';

/** The event; unknown values are 0 on the wire, and detail.pressure is absent without PSI. */
export function toMetricsEvent(s: JobSample): JobMetricsEvent {
  return {
    timestamp: (BigInt(s.at) * 1_000_000n).toString(),
    jobUuid: s.jobId,
    cpuPercent: s.cpuPercent,
    memoryBytes: s.memoryBytes ?? 0,
    memoryLimit: s.memoryLimitBytes ?? 0,
    diskReadBytes: s.ioReadBytes ?? 0,
    diskWriteBytes: s.ioWriteBytes ?? 0,
    netRecvBytes: s.netRxBytes ?? 0,
    netSentBytes: s.netTxBytes ?? 0,
    gpuPercent: 0,
    gpuMemoryBytes: 0,
    detail: {
      memoryPeakBytes: s.memoryPeakBytes ?? 0,
      processCount: s.processCount ?? 0,
      cpuUsageUsec: s.cpuUsageUsec ?? 0,
      cpuPeriods: s.cpuPeriods ?? 0,
      cpuThrottledPeriods: s.cpuThrottledPeriods ?? 0,
      cpuThrottledUsec: s.cpuThrottledUsec ?? 0,
      oomKills: s.oomKills ?? 0,
      pressure: s.pressure,
      final: s.final,
      intervalMs: s.intervalMs,
    },
  };
}
