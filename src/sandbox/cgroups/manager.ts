/**
 * The one cgroup interface (DESIGN §4). Implementations for v2, v1 and hybrid hosts are chosen
 * once at start-up by detect.ts; callers never branch on the version.
 */

/** Resource limits for one job; undefined means "not limited by this job". */
export interface CgroupLimits {
  /** Percent of one CPU (100 = one core). */
  cpuPercent?: number;
  /** cpuset list, e.g. "0-1,4". */
  cpuCores?: string;
  /** Bytes. */
  memoryBytes?: number;
  /** Bytes per second, read and write, on the given block devices ("major:minor"). */
  ioBps?: { bps: number; devices: string[] };
  /** Processes plus threads. */
  pids?: number;
}

/** What a job used, read from its cgroup. Fields are undefined when the host cannot tell. */
export interface CgroupStats {
  cpuUsageUsec?: number;
  memoryPeakBytes?: number;
  memoryCurrentBytes?: number;
  oomKills?: number;
  pidsCurrent?: number;
  /** The memory limit in force; undefined when unlimited or unknown. */
  memoryLimitBytes?: number;
  /** Bytes read from and written to block devices, summed over devices. */
  ioReadBytes?: number;
  ioWriteBytes?: number;
  /** CFS bandwidth: enforcement periods, periods in which the job was throttled, and time throttled. */
  cpuPeriods?: number;
  cpuThrottledPeriods?: number;
  cpuThrottledUsec?: number;
  /** Pressure stall information of the cgroup (cgroup2 only); undefined without PSI. */
  pressure?: CgroupPressure;
}

/** PSI of one cgroup: share of wall time (avg10, percent) in which some or all of its tasks stalled. */
export interface CgroupPressure {
  cpuSome: number;
  memorySome: number;
  memoryFull: number;
  ioSome: number;
  ioFull: number;
}

/** One job's cgroup (one directory per hierarchy). */
export interface JobCgroup {
  /** Host paths of every cgroup.procs file the job's init must join (one per hierarchy). */
  readonly procsFiles: string[];
  /** Apply limits; throws JobletError naming the limit when the host cannot apply one. */
  setLimits(limits: CgroupLimits): void;
  /** Pids currently in the cgroup (host pid namespace). */
  pids(): number[];
  /** Usage counters. */
  stats(): CgroupStats;
  /** SIGKILL every process in the cgroup (cgroup.kill where available, else freeze+kill+thaw) and wait until empty. */
  killAll(): Promise<void>;
  /** Send a signal to every process in the cgroup. */
  signalAll(signal: NodeJS.Signals): void;
  /** Remove the directories (after killAll). Idempotent. */
  destroy(): Promise<void>;
}

/** The per-daemon manager. */
export interface CgroupManager {
  /** "v1" | "v2" | "hybrid" — for logs and `rnx` diagnostics only. */
  readonly kind: 'v1' | 'v2' | 'hybrid';
  /** Create the cgroup for a job. */
  create(jobId: string): JobCgroup;
  /** Open an existing job cgroup (after a restart) or undefined when it does not exist. */
  open(jobId: string): JobCgroup | undefined;
  /** Job ids that have a cgroup under this daemon's parent (for restart clean-up). */
  list(): string[];
  /** Remove this daemon's parent cgroup (`<own>/<instance>`) in every hierarchy; throws while job cgroups remain. Idempotent. */
  dispose(): void;
}
