/**
 * The host collector: readings of /proc and /sys turned into the API's sections. Rates and
 * percentages are deltas between two readings; the collector keeps recent readings (a background
 * tick refreshes them every few seconds, and every request adds its own), so a request never
 * sleeps to measure. A stream passes its previous reading, so its rates cover exactly its interval.
 */
import * as os from 'node:os';
import type { CPUMetrics, CloudInfo, DiskMetrics, HostInfo, IOMetrics, MemoryMetrics, NetworkMetrics, ProcessMetrics } from '../../gen/joblet';
import { cpuMetrics, parseProcStat, type CpuCounters } from './cpu';
import { detectCloud } from './cloud';
import { withInstanceMetadata, type Fetcher } from './cloud-metadata';
import { diskMetrics, realMounts } from './disks';
import { ioMetrics, parseDiskstats, wholeDisks, type DiskCounters } from './diskio';
import { hostInfo, staticHost, type StaticHost } from './host-info';
import { memoryMetrics, parseMeminfo } from './memory';
import { interfaceAddresses, networkMetrics, parseNetDev, type IfCounters } from './network';
import { pageSize, processMetrics, scanProcesses, type ProcScan } from './processes';
import { readKernelFile } from './read';

/** The sections a caller may ask for (StreamMetricsRequest.metric_types). */
export const METRIC_TYPES = ['cpu', 'memory', 'disk', 'network', 'io', 'process'] as const;
/** One of METRIC_TYPES. */
export type MetricType = (typeof METRIC_TYPES)[number];

/** Rates need a window at least this long; shorter ones are mostly noise. */
const MIN_WINDOW_MS = 1000;
/** Background refresh of the cheap counters (cpu, network, disk IO). */
const COUNTER_TICK_MS = 5000;
/** Background refresh of the process table (a pass over /proc, the costly part)... */
const PROCESS_TICK_MS = 30000;
/** ...only while someone asked for processes this recently: an unwatched host costs no scans. */
const PROCESS_WATCH_MS = 600_000;

/** Counters that rates are computed from, and when they were read (monotonic ms). */
export interface Reading {
  at: number;
  cpu: CpuCounters;
  net: Map<string, IfCounters>;
  disk: Map<string, DiskCounters>;
  procs?: ProcScan;
}

/** One sample of the host: host and cloud always, the other sections as asked. */
export interface HostSnapshot {
  timestamp: string;
  host: HostInfo;
  cloud: CloudInfo;
  cpu?: CPUMetrics;
  memory?: MemoryMetrics;
  disks?: DiskMetrics[];
  networks?: NetworkMetrics[];
  io?: IOMetrics;
  processes?: ProcessMetrics;
}

/** What the collector needs to know. */
export interface CollectorSettings {
  stateDir: string;
  /** Ask the cloud's instance-metadata service for region and zone (monitoring.cloudMetadata). */
  cloudMetadata: boolean;
  fetcher?: Fetcher;
  log: (msg: string) => void;
}

/** Collects host metrics. start() and stop() bracket its background tick. */
export class HostCollector {
  private readonly fixed: StaticHost;
  private readonly pageSize = pageSize();
  private cloud: CloudInfo;
  private readings: Reading[] = [];
  private scans: ProcScan[] = [];
  private timers: NodeJS.Timeout[] = [];
  private processesAskedAt = -Infinity;

  constructor(private readonly s: CollectorSettings) {
    this.fixed = staticHost(s.stateDir);
    this.cloud = detectCloud();
  }

  /** Take the first readings and start the background tick. */
  start(): void {
    this.keep(this.read(false));
    this.keepScan(scanProcesses(performance.now()));
    this.timers.push(setInterval(() => this.keep(this.read(false)), COUNTER_TICK_MS).unref());
    this.timers.push(
      setInterval(() => {
        if (performance.now() - this.processesAskedAt < PROCESS_WATCH_MS) this.keepScan(scanProcesses(performance.now()));
      }, PROCESS_TICK_MS).unref(),
    );
    if (this.s.cloudMetadata) {
      void withInstanceMetadata(this.cloud, this.s.fetcher).then((c) => {
        this.cloud = c;
        if (c.metadata['lookup.error']) this.s.log(`cloud instance metadata not available: ${c.metadata['lookup.error']}`);
      });
    }
  }

  /** Stop the background tick. */
  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
  }

  /**
   * One sample with the asked sections. Rates are against `since` (a stream's previous reading)
   * or, without it, against the newest kept reading at least a second old. Returns the reading
   * taken, for the caller's next call.
   */
  async collect(types: ReadonlySet<MetricType>, since?: Reading): Promise<{ snapshot: HostSnapshot; reading: Reading }> {
    const now = this.read(types.has('process'));
    if (now.procs) this.processesAskedAt = now.at;
    const base = since ?? this.baseline(now.at);
    const seconds = base ? (now.at - base.at) / 1000 : 0;
    this.keep(now);
    const meminfo = parseMeminfo(readKernelFile('/proc/meminfo'));
    const memTotal = meminfo.get('MemTotal') ?? 0;
    const addrs = interfaceAddresses();
    const snap: HostSnapshot = {
      timestamp: new Date().toISOString(),
      host: hostInfo(this.fixed, now.cpu.bootTime, now.cpu.cores.length, memTotal, addrs),
      cloud: this.cloud,
    };
    if (types.has('cpu')) snap.cpu = cpuMetrics(now.cpu, base?.cpu, os.loadavg());
    if (types.has('memory')) snap.memory = memoryMetrics(meminfo);
    if (types.has('network')) snap.networks = networkMetrics(now.net, base?.net, seconds, addrs);
    if (types.has('io')) snap.io = ioMetrics(now.disk, base?.disk, seconds);
    if (types.has('disk')) snap.disks = await diskMetrics(realMounts(readKernelFile('/proc/self/mountinfo')));
    if (now.procs) {
      const prevScan = since?.procs ?? this.scanBaseline(now.procs.at);
      const uptimeSec = Number(readKernelFile('/proc/uptime').split(' ')[0]);
      snap.processes = processMetrics(now.procs, prevScan, { pageSize: this.pageSize, memTotalBytes: memTotal, bootTimeSec: now.cpu.bootTime, uptimeSec });
      this.keepScan(now.procs);
    }
    return { snapshot: snap, reading: now };
  }

  private read(withProcesses: boolean): Reading {
    const at = performance.now();
    return {
      at,
      cpu: parseProcStat(readKernelFile('/proc/stat')),
      net: parseNetDev(readKernelFile('/proc/net/dev')),
      disk: parseDiskstats(readKernelFile('/proc/diskstats'), wholeDisks()),
      procs: withProcesses ? scanProcesses(at) : undefined,
    };
  }

  // Newest reading at least MIN_WINDOW_MS old, else the oldest there is.
  private baseline(now: number): Reading | undefined {
    for (let i = this.readings.length - 1; i >= 0; i--) if (now - this.readings[i]!.at >= MIN_WINDOW_MS) return this.readings[i];
    return this.readings[0];
  }

  private scanBaseline(now: number): ProcScan | undefined {
    for (let i = this.scans.length - 1; i >= 0; i--) if (now - this.scans[i]!.at >= MIN_WINDOW_MS) return this.scans[i];
    return this.scans[0];
  }

  // Kept: at most one reading per MIN_WINDOW_MS, so frequent callers cannot push out every usable baseline.
  private keep(r: Reading): void {
    const newest = this.readings[this.readings.length - 1];
    if (newest && r.at - newest.at < MIN_WINDOW_MS) return;
    this.readings.push({ ...r, procs: undefined });
    if (this.readings.length > 4) this.readings.shift();
  }

  private keepScan(s: ProcScan): void {
    const newest = this.scans[this.scans.length - 1];
    if (newest && s.at - newest.at < MIN_WINDOW_MS) return;
    this.scans.push(s);
    if (this.scans.length > 2) this.scans.shift();
  }
}
