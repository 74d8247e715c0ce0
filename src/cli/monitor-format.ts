/**
 * Human and JSON renderings of a host sample (`rnx monitor top|watch`; the full status is in
 * monitor-status-format.ts). The JSON is the
 * API's own message in camelCase, with the sections that were not asked for left out (README,
 * "Monitoring"). Text from the host (process names, command lines, interface names) goes through
 * safeText: any user on the server can put escape sequences into a process title.
 */
import type { NetworkMetrics, ProcessInfo, SystemMetricsResponse } from '../gen/joblet';
import { InvalidArgumentError } from '../shared/errors';
import { localTime, safeText, table } from './format';
import { bytes, pct, rate } from './units';

/** The metric types rnx asks for (StreamMetricsRequest.metric_types). */
export const METRIC_TYPES = ['cpu', 'memory', 'disk', 'network', 'io', 'process'] as const;

/** Parse --filter=cpu,memory (commas or repeated); throws naming the valid types. */
export function parseFilter(values: string[]): Set<string> {
  const out = new Set<string>();
  for (const v of values.flatMap((x) => x.split(',')).map((x) => x.trim().toLowerCase()).filter(Boolean)) {
    if (!(METRIC_TYPES as readonly string[]).includes(v)) throw new InvalidArgumentError(`--filter: unknown metric type '${safeText(v)}'; use ${METRIC_TYPES.join(', ')} (comma-separated)`);
    out.add(v);
  }
  return out.size ? out : new Set(METRIC_TYPES);
}

/** The sample as JSON: wire fields in camelCase, sections outside `types` left out. */
export function metricsJson(m: SystemMetricsResponse, types: Set<string>): Record<string, unknown> {
  const out: Record<string, unknown> = { timestamp: m.timestamp, host: m.host };
  if (types.has('cpu')) out.cpu = m.cpu;
  if (types.has('memory')) out.memory = m.memory;
  if (types.has('disk')) out.disks = m.disks;
  if (types.has('network')) out.networks = m.networks;
  if (types.has('io')) out.io = m.io;
  if (types.has('process')) out.processes = m.processes;
  out.cloud = m.cloud;
  return out;
}

/** An interface's name for display; the summed job veths say how many they are. */
export function ifName(n: NetworkMetrics): string {
  return n.interfaceCount > 1 || n.interface === 'jv*' ? `jv* (${n.interfaceCount} job veth${n.interfaceCount === 1 ? '' : 's'})` : safeText(n.interface);
}

/** Top processes as a table. */
export function processTable(list: ProcessInfo[], width = 100): string {
  const rows = list.map((p) => [String(p.pid), safeText(p.name), pct(p.cpuPercent), pct(p.memoryPercent), bytes(p.memoryBytes), safeText(p.command)]);
  const text = table(['PID', 'NAME', 'CPU%', 'MEM%', 'MEMORY', 'COMMAND'], rows);
  // Long command lines would wrap every row on a terminal; cut them at its width.
  return text.split('\n').map((l) => (l.length > width ? `${l.slice(0, width - 1)}…` : l)).join('\n');
}

/** The condensed one-shot view of `rnx monitor top` (and of `watch` on a terminal). */
export function topLines(m: SystemMetricsResponse, types: Set<string>, width = 100): string[] {
  const out = [`System Metrics - ${localTime(m.timestamp)} (${safeText(m.host?.hostname ?? '')})`];
  const c = m.cpu;
  if (types.has('cpu') && c) out.push(`CPU:       ${pct(c.usagePercent)} (${c.cores} cores) | Load: ${c.loadAverage.map((x) => x.toFixed(2)).join(' ')} | Per core: ${c.perCoreUsage.map(pct).join(' ')}`);
  const mem = m.memory;
  if (types.has('memory') && mem) out.push(`Memory:    ${bytes(mem.usedBytes)} / ${bytes(mem.totalBytes)} (${pct(mem.usagePercent)}) | Available: ${bytes(mem.availableBytes)}${mem.swapTotal ? ` | Swap: ${bytes(mem.swapUsed)} / ${bytes(mem.swapTotal)}` : ''}`);
  if (types.has('disk')) out.push(`Disks:     ${m.disks.map((d) => `${safeText(d.mountPoint)} ${pct(d.usagePercent)} of ${bytes(d.totalBytes)}`).join(' | ') || 'none'}`);
  if (types.has('io') && m.io) out.push(`Disk I/O:  ${rate(m.io.readRate)} read | ${rate(m.io.writeRate)} written`);
  const p = m.processes;
  if (types.has('process') && p) out.push(`Processes: ${p.totalProcesses} total, ${p.runningProcesses} running, ${p.sleepingProcesses} sleeping, ${p.stoppedProcesses} stopped, ${p.zombieProcesses} zombie; ${p.totalThreads} threads`);
  if (types.has('network')) {
    out.push('', table(['INTERFACE', 'RX RATE', 'TX RATE', 'RX TOTAL', 'TX TOTAL', 'PACKETS RX/TX', 'ERRORS'], m.networks.map((n) => [ifName(n), rate(n.receiveRate), rate(n.transmitRate), bytes(n.bytesReceived), bytes(n.bytesSent), `${n.packetsReceived}/${n.packetsSent}`, String(n.errorsIn + n.errorsOut)])));
  }
  if (types.has('process') && p) out.push('', 'Top processes by CPU:', processTable(p.topByCpu, width), '', 'Top processes by memory:', processTable(p.topByMemory, width));
  return out;
}

/** One line per sample (`watch` piped, or --compact). */
export function compactLine(m: SystemMetricsResponse, types: Set<string>): string {
  const parts = [m.timestamp];
  if (types.has('cpu') && m.cpu) parts.push(`cpu ${pct(m.cpu.usagePercent)} load ${m.cpu.loadAverage[0]?.toFixed(2) ?? '0.00'}`);
  if (types.has('memory') && m.memory) parts.push(`mem ${pct(m.memory.usagePercent)} (${bytes(m.memory.usedBytes)}/${bytes(m.memory.totalBytes)})`);
  if (types.has('disk')) parts.push(`disk ${m.disks.map((d) => `${safeText(d.mountPoint)} ${pct(d.usagePercent)}`).join(' ')}`);
  if (types.has('network')) {
    // Job traffic crosses a veth, a bridge and the uplink: count only the host's own interfaces.
    const own = m.networks.filter((n) => n.interface !== 'lo' && n.interface !== 'jv*' && !/^jb[0-9a-f]{11}$/.test(n.interface));
    const rx = own.reduce((a, n) => a + n.receiveRate, 0);
    const tx = own.reduce((a, n) => a + n.transmitRate, 0);
    parts.push(`net rx ${rate(rx)} tx ${rate(tx)}`);
  }
  if (types.has('io') && m.io) parts.push(`io r ${rate(m.io.readRate)} w ${rate(m.io.writeRate)}`);
  if (types.has('process') && m.processes) parts.push(`procs ${m.processes.totalProcesses} (${m.processes.runningProcesses} running)`);
  return parts.join(' | ');
}
