/**
 * Monitoring: the host's identity once, then a condensed sample per interval from the server's own
 * stream (MonitoringService.StreamSystemMetrics), pushed to the page over one event stream.
 */
import type { HostInfo, ProcessInfo, SystemMetricsResponse } from '../../gen/joblet';
import { InvalidArgumentError, describeError } from '../../shared/errors';
import type { HostSample, HostView, ProcessView } from '../shared/types';
import { EventStream } from '../sse';
import { HANDLED, type Route } from './route';

/** Interfaces that are not the host's own traffic: loopback, the summed job veths, job bridges. */
const NOT_OWN = (name: string) => name === 'lo' || name === 'jv*' || /^jb[0-9a-f]{11}$/.test(name);

function hostView(h: HostInfo | undefined, version: string): HostView {
  return { hostname: h?.hostname ?? '', os: h?.os ?? '', kernel: h?.kernelVersion ?? '', arch: h?.architecture ?? '', cpuCount: h?.cpuCount ?? 0, totalMemoryBytes: h?.totalMemory ?? 0, uptimeSeconds: h?.uptime ?? 0, version };
}

function processView(p: ProcessInfo): ProcessView {
  return { pid: p.pid, name: p.name, command: p.command, cpuPercent: p.cpuPercent, memoryPercent: p.memoryPercent, memoryBytes: p.memoryBytes };
}

/** Condense one sample of the stream for the page. */
export function hostSample(m: Omit<SystemMetricsResponse, 'cloud' | 'host'>): HostSample {
  const own = m.networks.filter((n) => !NOT_OWN(n.interface));
  const t = Date.parse(m.timestamp);
  return {
    t: Number.isNaN(t) ? Date.now() : t,
    cpuPercent: m.cpu?.usagePercent ?? 0,
    load: m.cpu?.loadAverage ?? [],
    memUsedBytes: m.memory?.usedBytes ?? 0,
    memTotalBytes: m.memory?.totalBytes ?? 0,
    memPercent: m.memory?.usagePercent ?? 0,
    swapUsedBytes: m.memory?.swapUsed ?? 0,
    disks: m.disks.map((d) => ({ mount: d.mountPoint, device: d.device, usedBytes: d.usedBytes, totalBytes: d.totalBytes, percent: d.usagePercent })),
    ioReadRate: m.io?.readRate ?? 0,
    ioWriteRate: m.io?.writeRate ?? 0,
    netRxRate: own.reduce((a, n) => a + n.receiveRate, 0),
    netTxRate: own.reduce((a, n) => a + n.transmitRate, 0),
    processes: { total: m.processes?.totalProcesses ?? 0, running: m.processes?.runningProcesses ?? 0, threads: m.processes?.totalThreads ?? 0 },
    topByCpu: (m.processes?.topByCpu ?? []).slice(0, 10).map(processView),
    topByMemory: (m.processes?.topByMemory ?? []).slice(0, 10).map(processView),
  };
}

/** GET live/monitoring?interval=N (1-60 s, default 2): events `host` (HostView) once, `sample` (HostSample) per interval, `failure`. */
export const monitoringLiveRoute: Route = {
  method: 'GET',
  path: 'live/monitoring',
  async handle({ pool, node, req, res, url, shutdown }) {
    const raw = url.searchParams.get('interval') ?? '2';
    const interval = /^\d{1,2}$/.test(raw) ? Number(raw) : NaN;
    if (!(interval >= 1 && interval <= 60)) throw new InvalidArgumentError(`interval must be 1 to 60 seconds, not '${raw.slice(0, 20)}'`);
    // Asked before the stream opens, so that a server without monitoring is a plain error the page shows.
    const status = await pool.call(node, (c) => c.monitoring.getSystemStatus({}));
    const stream = new EventStream(req, res, shutdown);
    await stream.send('host', hostView(status.host, status.serverVersion?.version ?? ''));
    try {
      await pool.call(node, async (c) => {
        for await (const m of c.monitoring.streamSystemMetrics({ intervalSeconds: interval, metricTypes: [] }, { signal: stream.signal })) await stream.send('sample', hostSample(m));
      });
    } catch (err) {
      if (!stream.signal.aborted) await stream.send('failure', { message: describeError(err) });
    }
    if (!stream.signal.aborted) await stream.end();
    return HANDLED;
  },
};
