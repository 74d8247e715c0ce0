/** rnx's monitoring output: --filter parsing, what each view shows, job sample JSON and the summary. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { JobMetricsEvent, SystemMetricsResponse } from '../../src/gen/joblet';
import { compactLine, metricsJson, parseFilter, processTable, topLines } from '../../src/cli/monitor-format';
import { currentUsageRows, sampleJson, summarize, summaryLines } from '../../src/cli/metrics-format';
import { bytes, uptime } from '../../src/cli/units';

const sample: SystemMetricsResponse = {
  timestamp: '2026-01-02T03:04:05.000Z',
  host: { hostname: 'h', os: 'Debian', kernelVersion: '6', architecture: 'x86_64', bootTime: '', uptime: 5, nodeId: 'n', serverIps: [], macAddresses: [], platform: 'debian 12', cpuCount: 2, totalMemory: 1 << 30 },
  cpu: { cores: 2, usagePercent: 37.5, userTime: 30, systemTime: 7.5, idleTime: 62.5, ioWaitTime: 0, stealTime: 0, loadAverage: [0.5, 0.4, 0.3], perCoreUsage: [50, 25] },
  memory: { totalBytes: 1 << 30, usedBytes: 1 << 29, freeBytes: 0, availableBytes: 1 << 29, usagePercent: 50, cachedBytes: 0, bufferedBytes: 0, swapTotal: 0, swapUsed: 0, swapFree: 0 },
  disks: [],
  networks: [
    { interface: 'eth0', bytesReceived: 1, bytesSent: 2, packetsReceived: 1, packetsSent: 1, errorsIn: 0, errorsOut: 0, dropsIn: 0, dropsOut: 0, receiveRate: 1024, transmitRate: 2048, ipAddresses: [], macAddress: '', interfaceCount: 1 },
    { interface: 'jv*', bytesReceived: 1, bytesSent: 2, packetsReceived: 1, packetsSent: 1, errorsIn: 0, errorsOut: 0, dropsIn: 0, dropsOut: 0, receiveRate: 99999, transmitRate: 99999, ipAddresses: [], macAddress: '', interfaceCount: 12 },
  ],
  io: undefined,
  processes: {
    totalProcesses: 3, runningProcesses: 1, sleepingProcesses: 2, stoppedProcesses: 0, zombieProcesses: 0, totalThreads: 9,
    topByCpu: [{ pid: 7, ppid: 1, name: 'evil\x1b]0;x\x07', command: 'evil --flag', cpuPercent: 99, memoryPercent: 1, memoryBytes: 1024, status: 'R', startTime: '' }],
    topByMemory: [],
  },
  cloud: { provider: '', region: '', zone: '', instanceId: '', instanceType: '', hypervisorType: 'kvm', metadata: {} },
};

test('--filter: comma lists and repeats, all by default; unknown types refused naming the valid ones', () => {
  assert.equal([...parseFilter([])], ['cpu', 'memory', 'disk', 'network', 'io', 'process']);
  assert.equal([...parseFilter(['cpu,Memory', 'process'])], ['cpu', 'memory', 'process']);
  assert.throws(() => parseFilter(['cpu,gpu']), /--filter: unknown metric type 'gpu'; use cpu, memory, disk, network, io, process/);
});

test('views and JSON carry only the asked sections; host text is made terminal-safe', () => {
  const types = parseFilter(['cpu']);
  const line = compactLine(sample, types);
  assert.match(line, /cpu 37\.5% load 0\.50/);
  assert.not.match(line, /mem|net|procs/);
  const json = metricsJson(sample, types);
  assert.equal(Object.keys(json), ['timestamp', 'host', 'cpu', 'cloud']);
  const top = topLines(sample, parseFilter(['process', 'network'])).join('\n');
  assert.not.match(top, /^CPU:/m);
  assert.match(top, /jv\* \(12 job veths\)/);
  assert.match(top, /evil\\x1b\]0;x\\x07/);
  assert.not.match(top, /\x1b/);
  // Job veths and loopback are not the host's own traffic.
  assert.match(compactLine(sample, parseFilter(['network'])), /net rx 1 KiB\/s tx 2 KiB\/s/);
  assert.ok(processTable(sample.processes!.topByCpu, 30).split('\n').every((l) => l.length <= 30));
});

const ev = (ms: number, cpu: number, mem: number, extra: Partial<JobMetricsEvent> = {}): JobMetricsEvent => ({
  timestamp: (BigInt(ms) * 1_000_000n).toString(),
  jobUuid: 'j',
  cpuPercent: cpu,
  memoryBytes: mem,
  memoryLimit: 1 << 30,
  diskReadBytes: ms,
  diskWriteBytes: 0,
  netRecvBytes: 0,
  netSentBytes: 0,
  gpuPercent: 0,
  gpuMemoryBytes: 0,
  detail: { memoryPeakBytes: mem, processCount: 1, cpuUsageUsec: 0, cpuPeriods: 0, cpuThrottledPeriods: 0, cpuThrottledUsec: 0, oomKills: 0, pressure: undefined, final: false, intervalMs: 1000 },
  ...extra,
});

test('job samples: JSON form, interval-weighted CPU average, peaks, totals from the newest sample', () => {
  const s = [sampleJson(ev(1_700_000_000_000, 100, 100 << 20)), sampleJson(ev(1_700_000_001_000, 50, 300 << 20)), sampleJson({ ...ev(1_700_000_001_500, 0, 0), detail: { ...ev(0, 0, 0).detail!, intervalMs: 500, final: true } })];
  assert.is(s[0]!.time, '2023-11-14T22:13:20.000Z');
  assert.is(s[0]!.timestamp, '1700000000000000000');
  assert.is(s[0]!.pressure, null);
  assert.ok(s[2]!.final);
  const sum = summarize(s)!;
  assert.is(sum.samples, 3);
  assert.is(sum.coveredMs, 2500);
  assert.is(sum.cpuAverage, (100 * 1000 + 50 * 1000 + 0 * 500) / 2500);
  assert.is(sum.cpuPeak, 100);
  assert.is(sum.memoryPeak, 300 << 20);
  assert.is(sum.diskRead, 1_700_000_001_500);
  const text = summaryLines(sum).join('\n');
  assert.match(text, /average 60\.0%, peak 100\.0%/);
  assert.match(text, /peak 300 MiB of 1 GiB limit \(29\.3%\)/);
  assert.is(summarize([]), undefined);
  assert.equal(currentUsageRows(null), []);
  assert.equal(currentUsageRows(s[1])[1], ['Memory Now', '300 MiB of 1 GiB (29.3%)']);
});

test('units: IEC sizes and uptimes', () => {
  assert.equal([bytes(0), bytes(1023), bytes(1024), bytes(1536 * 1024), bytes(25275953152)], ['0 B', '1023 B', '1 KiB', '1.5 MiB', '23.5 GiB']);
  assert.equal([uptime(59), uptime(3700), uptime(2 * 86400 + 3 * 3600 + 120)], ['0m 59s', '1h 01m', '2d 3h 2m']);
});

test.run();
