/**
 * Human and JSON renderings of host monitoring (`rnx monitor status|top|watch`). The JSON is the
 * API's own message in camelCase, with the sections that were not asked for left out (README,
 * "Monitoring"). Text from the host (process names, command lines, interface names) goes through
 * safeText: any user on the server can put escape sequences into a process title.
 */
import type { NetworkMetrics, ProcessInfo, SystemMetricsResponse, SystemStatusResponse } from '../gen/joblet';
import { InvalidArgumentError } from '../shared/errors';
import { localTime, safeText, table } from './format';
import { bytes, keyValues, pct, rate, uptime } from './units';

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

function ifName(n: NetworkMetrics): string {
  return n.interfaceCount > 1 || n.interface === 'jv*' ? `jv* (${n.interfaceCount} job veth${n.interfaceCount === 1 ? '' : 's'})` : safeText(n.interface);
}

/** Full status, section by section. */
export function statusLines(s: SystemStatusResponse): string[] {
  const h = s.host;
  const out = [`System Status - ${localTime(s.timestamp)}`, `Available: ${s.available ? 'yes' : 'no'}`, ''];
  if (h) {
    out.push('Host Information:');
    out.push(
      ...keyValues([
        ['Hostname', safeText(h.hostname)],
        ['OS', `${safeText(h.os)}${h.platform ? ` (${safeText(h.platform)})` : ''}`],
        ['Kernel', safeText(h.kernelVersion)],
        ['Architecture', h.architecture],
        ['CPUs', String(h.cpuCount)],
        ['Memory', bytes(h.totalMemory)],
        ['Uptime', uptime(h.uptime)],
        ['Boot Time', localTime(h.bootTime)],
        ['Node ID', h.nodeId],
        ['Server IPs', h.serverIps.join(', ') || 'none'],
        ['MAC Addresses', h.macAddresses.join(', ') || 'none'],
      ]),
      '',
    );
  }
  const v = s.serverVersion;
  if (v) {
    out.push('Joblet Server:');
    out.push(...keyValues([['Version', v.version], ['Git Commit', v.gitCommit], ['Build Date', v.buildDate ? localTime(v.buildDate) : 'unknown'], ['Runtime', v.goVersion], ['Platform', v.platform]]), '');
  }
  out.push(...sections(s, new Set(METRIC_TYPES), true));
  const c = s.cloud;
  out.push('Cloud Environment:');
  if (c && c.provider) {
    out.push(...keyValues([['Provider', c.provider], ['Region', c.region || 'unknown'], ['Zone', c.zone || 'unknown'], ['Instance ID', c.instanceId || 'unknown'], ['Instance Type', c.instanceType || 'unknown'], ['Hypervisor', c.hypervisorType || 'unknown']]));
  } else {
    out.push(...keyValues([['Provider', 'none detected (DMI/SMBIOS names no cloud)'], ['Hypervisor', c?.hypervisorType || 'unknown']]));
  }
  return out;
}

// The metric sections of a status or sample, as key-value blocks and tables.
function sections(m: SystemMetricsResponse | SystemStatusResponse, types: Set<string>, full: boolean): string[] {
  const out: string[] = [];
  const c = m.cpu;
  if (types.has('cpu') && c) {
    out.push('CPU:');
    const rows: [string, string][] = [['Cores', String(c.cores)], ['Usage', pct(c.usagePercent)], ['Load Average', c.loadAverage.map((x) => x.toFixed(2)).join(', ')]];
    if (full) rows.push(['User Time', pct(c.userTime)], ['System Time', pct(c.systemTime)], ['Idle Time', pct(c.idleTime)], ['I/O Wait', pct(c.ioWaitTime)], ['Steal', pct(c.stealTime)]);
    rows.push(['Per Core', c.perCoreUsage.map(pct).join(' ')]);
    out.push(...keyValues(rows), '');
  }
  const mem = m.memory;
  if (types.has('memory') && mem) {
    out.push('Memory:');
    const swap = mem.swapTotal ? `${bytes(mem.swapUsed)} used of ${bytes(mem.swapTotal)} (${pct((100 * mem.swapUsed) / mem.swapTotal)})` : 'none';
    out.push(...keyValues([['Total', bytes(mem.totalBytes)], ['Used', `${bytes(mem.usedBytes)} (${pct(mem.usagePercent)})`], ['Available', bytes(mem.availableBytes)], ['Free', bytes(mem.freeBytes)], ['Cached', bytes(mem.cachedBytes)], ['Buffered', bytes(mem.bufferedBytes)], ['Swap', swap]]), '');
  }
  if (types.has('disk')) {
    out.push('Disks:');
    const rows = m.disks.map((d) => [safeText(d.mountPoint), safeText(d.device), d.filesystem, bytes(d.totalBytes), bytes(d.usedBytes), bytes(d.freeBytes), pct(d.usagePercent), `${d.inodesUsed}/${d.inodesTotal} (${pct(d.inodesUsagePercent)})`]);
    out.push(...indent(rows.length ? table(['MOUNT', 'DEVICE', 'FS', 'SIZE', 'USED', 'AVAIL', 'USE%', 'INODES USED'], rows) : 'none'), '');
  }
  if (types.has('network')) {
    out.push('Network Interfaces:');
    const rows = m.networks.map((n) => [ifName(n), n.ipAddresses.join(',') || '-', rate(n.receiveRate), rate(n.transmitRate), `${bytes(n.bytesReceived)} (${n.packetsReceived} pkts)`, `${bytes(n.bytesSent)} (${n.packetsSent} pkts)`, `${n.errorsIn + n.errorsOut}/${n.dropsIn + n.dropsOut}`]);
    out.push(...indent(rows.length ? table(['INTERFACE', 'ADDRESSES', 'RX RATE', 'TX RATE', 'RX TOTAL', 'TX TOTAL', 'ERR/DROP'], rows) : 'none'), '');
  }
  const io = m.io;
  if (types.has('io') && io) {
    out.push(`Disk I/O: ${rate(io.readRate)} read, ${rate(io.writeRate)} written (${io.totalReads} reads, ${io.totalWrites} writes since boot)`);
    if (io.diskIo.length) out.push(...indent(table(['DEVICE', 'READ', 'WRITTEN', 'READS', 'WRITES', 'BUSY'], io.diskIo.map((d) => [safeText(d.device), bytes(d.readBytes), bytes(d.writeBytes), String(d.readsCompleted), String(d.writesCompleted), pct(d.utilization)]))));
    out.push('');
  }
  const p = m.processes;
  if (types.has('process') && p) {
    out.push('Processes:');
    out.push(...keyValues([['Total', String(p.totalProcesses)], ['Running', String(p.runningProcesses)], ['Sleeping', String(p.sleepingProcesses)], ['Stopped', String(p.stoppedProcesses)], ['Zombie', String(p.zombieProcesses)], ['Threads', String(p.totalThreads)]]), '');
  }
  return out;
}

function indent(text: string): string[] {
  return text.split('\n').map((l) => `  ${l}`);
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
