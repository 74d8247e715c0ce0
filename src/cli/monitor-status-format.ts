/** The full `rnx monitor status` text: every section of GetSystemStatus as aligned key-value blocks and tables. */
import type { SystemMetricsResponse, SystemStatusResponse } from '../gen/joblet';
import { localTime, safeText, table } from './format';
import { ifName, METRIC_TYPES } from './monitor-format';
import { bytes, keyValues, pct, rate, uptime } from './units';

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
