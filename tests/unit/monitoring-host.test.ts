/** Host collectors: /proc and /sys texts to the API's sections, with rates from two readings. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpuMetrics, parseProcStat } from '../../src/daemon/monitoring/cpu';
import { ioMetrics, parseDiskstats } from '../../src/daemon/monitoring/diskio';
import { diskMetrics, realMounts } from '../../src/daemon/monitoring/disks';
import { parseOsRelease } from '../../src/daemon/monitoring/host-info';
import { memoryMetrics, parseMeminfo } from '../../src/daemon/monitoring/memory';
import { networkMetrics, parseNetDev } from '../../src/daemon/monitoring/network';
import { parseStat, processMetrics, scanProcesses, type ProcScan, type ProcStat } from '../../src/daemon/monitoring/processes';
import { checkInterval, checkMetricTypes, checkRange } from '../../src/daemon/monitoring/requests';
import { JobletError } from '../../src/shared/errors';

const STAT_A = `cpu  100 0 50 800 50 0 0 0 0 0
cpu0 60 0 20 400 20 0 0 0 0 0
cpu1 40 0 30 400 30 0 0 0 0 0
intr 1 2 3
btime 1700000000
`;
const STAT_B = `cpu  250 0 100 900 50 0 0 0 0 0
cpu0 160 0 60 420 20 0 0 0 0 0
cpu1 90 0 40 480 30 0 0 0 0 0
btime 1700000000
`;

test('cpu: percentages are of the window between two readings; per core of one core', () => {
  const a = parseProcStat(STAT_A);
  const b = parseProcStat(STAT_B);
  assert.is(b.bootTime, 1700000000);
  const m = cpuMetrics(b, a, [0.5, 0.25, 0.125]);
  // Window: 150 user + 50 system + 100 idle = 300 ticks; busy 200.
  assert.is(m.cores, 2);
  assert.is(m.usagePercent, 66.67);
  assert.is(m.userTime, 50);
  assert.is(m.systemTime, 16.67);
  assert.is(m.idleTime, 33.33);
  assert.is(m.ioWaitTime, 0);
  assert.equal(m.loadAverage, [0.5, 0.25, 0.13]);
  // cpu0: 100 user + 40 system + 20 idle → 87.5%; cpu1: 50 + 10 + 80 idle → 42.86%.
  assert.equal(m.perCoreUsage, [87.5, 42.86]);
  // Without an earlier reading the window is since boot: 150 busy ticks of 1000 (iowait is not busy).
  assert.is(cpuMetrics(a, undefined, []).usagePercent, 15);
});

test('memory: used = total - available (as free shows it); cached includes reclaimable slab', () => {
  const m = memoryMetrics(parseMeminfo(`MemTotal:       16000000 kB
MemFree:         2000000 kB
MemAvailable:   10000000 kB
Buffers:          100000 kB
Cached:          5000000 kB
SwapCached:            0 kB
Active(anon):    1000 kB
SwapTotal:       2000000 kB
SwapFree:        1500000 kB
SReclaimable:     400000 kB
HugePages_Total:       0
`));
  assert.is(m.totalBytes, 16000000 * 1024);
  assert.is(m.usedBytes, 6000000 * 1024);
  assert.is(m.availableBytes, 10000000 * 1024);
  assert.is(m.usagePercent, 37.5);
  assert.is(m.cachedBytes, 5400000 * 1024);
  assert.is(m.bufferedBytes, 100000 * 1024);
  assert.equal([m.swapTotal, m.swapUsed, m.swapFree], [2000000 * 1024, 500000 * 1024, 1500000 * 1024]);
});

const NETDEV = (eth: number, v1: number, v2: number) => `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo: 500 5 0 0 0 0 0 0 500 5 0 0 0 0 0 0
  eth0: ${eth} 10 1 2 0 0 0 0 ${eth * 2} 20 3 4 0 0 0 0
jv0123456789a: ${v1} 1 0 0 0 0 0 0 ${v1} 1 0 0 0 0 0 0
jvabcdef01234: ${v2} 1 0 0 0 0 0 0 ${v2} 1 0 0 0 0 0 0
jb0123456789a: 7 1 0 0 0 0 0 0 7 1 0 0 0 0 0 0
`;

test('network: counters and rates per interface; job veths summed into one "jv*" entry', () => {
  const a = parseNetDev(NETDEV(1000, 100, 200));
  const b = parseNetDev(NETDEV(3000, 300, 600));
  const list = networkMetrics(b, a, 2, { eth0: { ips: ['10.0.0.5'], mac: '02:00:00:00:00:01' } });
  assert.equal(list.map((n) => n.interface), ['eth0', 'jb0123456789a', 'lo', 'jv*']);
  const eth = list[0]!;
  assert.equal([eth.bytesReceived, eth.bytesSent, eth.packetsReceived, eth.errorsIn, eth.dropsIn, eth.errorsOut, eth.dropsOut], [3000, 6000, 10, 1, 2, 3, 4]);
  assert.is(eth.receiveRate, 1000);
  assert.is(eth.transmitRate, 2000);
  assert.equal(eth.ipAddresses, ['10.0.0.5']);
  assert.is(eth.macAddress, '02:00:00:00:00:01');
  const veths = list[3]!;
  assert.is(veths.interfaceCount, 2);
  assert.is(veths.bytesReceived, 900);
  assert.is(veths.receiveRate, 300);
  // A counter that went backwards (interface re-created) gives no rate rather than a negative one.
  assert.is(networkMetrics(a, b, 2, {})[0]!.receiveRate, 0);
});

test('io: whole-disk counters in bytes (512-byte sectors), rates and utilisation; idle devices left out', () => {
  const line = (r: number, rs: number, w: number, ws: number, io: number) => `   8       0 sda ${r} 0 ${rs} 10 ${w} 0 ${ws} 20 0 ${io} 30 0 0 0 0`;
  const a = parseDiskstats(`${line(10, 100, 20, 200, 1000)}\n   7       0 loop0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n   8       1 sda1 1 0 1 0 1 0 1 0 0 0 0`, new Set(['sda', 'loop0']));
  const b = parseDiskstats(line(30, 2148, 40, 4296, 1500), new Set(['sda']));
  assert.equal([...a.keys()], ['sda', 'loop0'], 'partitions are not whole disks');
  const io = ioMetrics(b, a, 2);
  assert.equal(io.diskIo.map((d) => d.device), ['sda']);
  assert.is(io.readBytes, 2148 * 512);
  assert.is(io.readRate, 524288, '(2148-100) sectors in 2 s');
  assert.is(io.writeRate, 1048576);
  assert.is(io.diskIo[0]!.utilization, 25, '500 ms busy of 2 s');
  assert.equal([io.totalReads, io.totalWrites], [30, 40]);
  assert.is(ioMetrics(a, undefined, 0).diskIo.length, 1, 'loop0 never did IO');
});

test('disks: real filesystems only, one per device (its root mount preferred), escaped paths decoded', async () => {
  const mi = [
    '22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw',
    '23 22 0:21 / /proc rw - proc proc rw',
    '24 22 0:22 / /tmp rw - tmpfs tmpfs rw',
    '25 22 254:0 /run/netns /run/netns rw - ext4 /dev/vda rw',
    '26 22 0:30 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw',
    '27 22 7:3 / /opt/joblet/volumes/my\\040data rw - ext4 /dev/loop3 rw',
    '28 22 0:40 / /srv rw - overlay overlay rw',
    '29 22 8:17 /sub /data/sub rw master:3 - xfs /dev/sdb1 rw',
  ].join('\n');
  assert.equal(realMounts(mi), [
    { device: '/dev/vda', mountPoint: '/', filesystem: 'ext4' },
    { device: '/dev/sdb1', mountPoint: '/data/sub', filesystem: 'xfs' },
    { device: '/dev/loop3', mountPoint: '/opt/joblet/volumes/my data', filesystem: 'ext4' },
  ]);
  const [root] = await diskMetrics([{ device: '/dev/x', mountPoint: '/', filesystem: 'ext4' }]);
  const s = fs.statfsSync('/');
  assert.is(root!.totalBytes, s.blocks * s.bsize);
  assert.is(root!.inodesTotal, s.files);
  assert.ok(root!.usagePercent > 0 && root!.usagePercent <= 100);
  assert.equal(await diskMetrics([{ device: '/dev/x', mountPoint: '/no/such/mount', filesystem: 'ext4' }]), [], 'a mount that cannot be read is left out');
});

const proc = (p: Partial<ProcStat> & { pid: number }): ProcStat => ({ ppid: 1, name: 'p', state: 'S', ticks: 0, threads: 1, start: 0, rss: 0, ...p });

test('processes: stat parsing survives names with spaces and parentheses', () => {
  const text = '4242 (my (odd) name) R 1 4242 4242 0 -1 4194560 100 0 0 0 700 300 0 0 20 0 3 0 5000 1000000 256 18446744073709551615 0\n';
  assert.equal(parseStat(text), { pid: 4242, name: 'my (odd) name', state: 'R', ppid: 1, ticks: 1000, threads: 3, start: 5000, rss: 256 });
  assert.is(parseStat('garbage'), undefined);
});

test('processes: counts by state, CPU from the tick delta since the earlier scan (same pid and start), top lists', () => {
  const prev: ProcScan = { at: 0, procs: new Map([[10, proc({ pid: 10, ticks: 100, start: 50 })], [11, proc({ pid: 11, ticks: 100, start: 60 })], [12, proc({ pid: 12, ticks: 0, start: 70 })]]) };
  const now: ProcScan = {
    at: 2000,
    procs: new Map([
      [10, proc({ pid: 10, ticks: 300, start: 50, state: 'R', threads: 4, rss: 10 })], // 200 ticks in 2 s = 100%
      [11, proc({ pid: 11, ticks: 150, start: 60, state: 'S', rss: 1000 })], // 25%
      [12, proc({ pid: 12, ticks: 1000, start: 99999, state: 'Z' })], // pid reused: measured over its life
      [13, proc({ pid: 13, state: 'T' })],
      [14, proc({ pid: 14, state: 'D' })],
      [15, proc({ pid: 15, state: 'I' })],
    ]),
  };
  const m = processMetrics(now, prev, { pageSize: 4096, memTotalBytes: 4096 * 10000, bootTimeSec: 1700000000, uptimeSec: 1009.99, procRoot: '/nonexistent' });
  assert.equal([m.totalProcesses, m.runningProcesses, m.sleepingProcesses, m.stoppedProcesses, m.zombieProcesses, m.totalThreads], [6, 1, 3, 1, 1, 9]);
  assert.equal(m.topByCpu.slice(0, 3).map((p) => [p.pid, p.cpuPercent]), [[10, 100], [12, 100], [11, 25]]);
  assert.equal(m.topByMemory[0]!.pid, 11);
  assert.is(m.topByMemory[0]!.memoryBytes, 4096000);
  assert.is(m.topByMemory[0]!.memoryPercent, 10);
  assert.is(m.topByCpu[0]!.command, '[p]', 'no command line: shown as [name]');
  assert.is(m.topByCpu[0]!.startTime, new Date((1700000000 + 0.5) * 1000).toISOString());
  assert.ok(m.topByCpu.length <= 10);
});

test('processes: a real scan finds this process with its command line', () => {
  const scan = scanProcesses(performance.now());
  const me = scan.procs.get(process.pid);
  assert.ok(me, 'own pid scanned');
  assert.ok(me!.threads >= 1);
  const m = processMetrics(scan, undefined, { pageSize: 4096, memTotalBytes: os.totalmem(), bootTimeSec: 0, uptimeSec: os.uptime() });
  assert.is(m.totalProcesses, scan.procs.size);
});

test('os-release: quoted, single-quoted and bare values', () => {
  assert.equal(parseOsRelease('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID=\'12\'\nX="a \\"q\\""\n'), {
    PRETTY_NAME: 'Debian GNU/Linux 12 (bookworm)',
    ID: 'debian',
    VERSION_ID: '12',
    X: 'a "q"',
  });
});

function refused(fn: () => unknown, re: RegExp): void {
  try {
    fn();
  } catch (err) {
    assert.instance(err, JobletError);
    assert.is((err as JobletError).code, 'INVALID_ARGUMENT');
    assert.match((err as Error).message, re);
    return;
  }
  assert.unreachable('expected a refusal');
}

test('stream requests: interval 0 = 5, 1-3600 as asked, the rest refused; metric types checked', () => {
  assert.is(checkInterval(0), 5);
  assert.is(checkInterval(1), 1);
  assert.is(checkInterval(3600), 3600);
  for (const bad of [-1, 3601, 2147483647, -2147483648]) refused(() => checkInterval(bad), /interval_seconds must be 1-3600 \(0 means the default, 5\); got/);
  assert.equal([...checkMetricTypes([])].sort(), ['cpu', 'disk', 'io', 'memory', 'network', 'process']);
  assert.equal([...checkMetricTypes(['CPU', ' processes', 'disks'])], ['cpu', 'process', 'disk']);
  refused(() => checkMetricTypes(['cpu', 'gpu']), /unknown metric type 'gpu': use cpu, memory, disk, network, io, process/);
});

test('history ranges: ns text to ms, 0 = open ends, bad values refused', () => {
  assert.equal(checkRange('0', '0', 0, 5000), { fromMs: 0, toMs: 5000, limit: 0 });
  assert.equal(checkRange('', '', 3, 5000), { fromMs: 0, toMs: 5000, limit: 3 });
  assert.equal(checkRange('1700000000123456789', '1700000001000000000', 0), { fromMs: 1700000000123, toMs: 1700000001000, limit: 0 });
  refused(() => checkRange('-5', '0', 0), /cannot be negative/);
  refused(() => checkRange('0', '0', -1), /limit cannot be negative/);
  refused(() => checkRange('2000000000', '1000000000', 0), /start_time is after end_time/);
});

test.run();
