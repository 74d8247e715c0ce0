/**
 * Per-job sampling: every `intervalMs` from the moment a job's cgroup is created until it is
 * destroyed, one sample of its cgroup (through the CgroupManager, whatever the cgroup version)
 * and of its host-side veth. Samples are handed to live subscribers at once and stored in batches
 * (one transaction a second for all jobs); the last one is taken as the cgroup goes (the job's
 * processes are gone, its totals are complete) and stored right away.
 */
import type { CgroupStats, JobCgroup } from '../../sandbox/cgroups/manager';
import type { JobSample, MetricsStore } from '../../store/metrics';
import { round2 } from './cpu';
import { readCounter } from './read';

/** Receives the samples of one job. */
export interface SampleListener {
  sample(s: JobSample): void;
  /** The job's sampling is over (after its final sample, if one could be taken). */
  end(): void;
}

/** What the sampler needs from outside. */
export interface SamplerDeps {
  store: MetricsStore;
  /** Host-side veth of a job, when it has one. */
  veth(jobId: string): string | undefined;
  log(msg: string): void;
}

interface Tracked {
  cgroup: JobCgroup;
  timer: NodeJS.Timeout;
  /** Monotonic ms and CPU µs of the previous reading. */
  prevAt: number;
  prevCpuUsec: number | undefined;
  last?: JobSample;
}

/** Samples wait at most this long to be written, so many jobs share one transaction. */
const FLUSH_MS = 1000;

/** Samples every job cgroup it is told about. */
export class JobSampler {
  private readonly jobs = new Map<string, Tracked>();
  private readonly listeners = new Map<string, Set<SampleListener>>();
  private pending: JobSample[] = [];
  private flushTimer?: NodeJS.Timeout;

  constructor(
    private readonly intervalMs: number,
    private readonly deps: SamplerDeps,
  ) {}

  /** Start sampling a job whose cgroup was just created. */
  track(jobId: string, cgroup: JobCgroup): void {
    if (this.jobs.has(jobId)) return;
    const timer = setInterval(() => this.take(jobId, false), this.intervalMs).unref();
    // The baseline for the first CPU percentage; nothing runs in the cgroup yet.
    this.jobs.set(jobId, { cgroup, timer, prevAt: performance.now(), prevCpuUsec: this.read(jobId, cgroup)?.cpuUsageUsec });
  }

  /** The cgroup is about to go: a final sample, then no more. */
  finish(jobId: string): void {
    const t = this.jobs.get(jobId);
    if (!t) return;
    clearInterval(t.timer);
    this.take(jobId, true);
    this.jobs.delete(jobId);
    // The history of an ended job is complete at once.
    this.flush();
    for (const l of this.listeners.get(jobId) ?? []) l.end();
  }

  /** True while the job is being sampled. */
  tracks(jobId: string): boolean {
    return this.jobs.has(jobId);
  }

  /** The newest sample of a job being sampled. */
  latest(jobId: string): JobSample | undefined {
    return this.jobs.get(jobId)?.last;
  }

  /** Receive the job's samples from now on; returns the unsubscribe function. */
  subscribe(jobId: string, l: SampleListener): () => void {
    let set = this.listeners.get(jobId);
    if (!set) this.listeners.set(jobId, (set = new Set()));
    set.add(l);
    return () => {
      set.delete(l);
      if (set.size === 0 && this.listeners.get(jobId) === set) this.listeners.delete(jobId);
    };
  }

  /** Daemon shutdown: stop every timer (jobs were stopped first, so normally none is left) and write what is pending. */
  stopAll(): void {
    for (const id of [...this.jobs.keys()]) this.finish(id);
    this.flush();
  }

  /** Write the samples not stored yet (before reading a history, so it holds every sample taken). */
  flush(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    try {
      this.deps.store.add(batch);
    } catch (err) {
      this.deps.log(`cannot store ${batch.length} job metrics samples: ${(err as Error).message}`);
    }
  }

  private read(jobId: string, cgroup: JobCgroup): CgroupStats | undefined {
    try {
      return cgroup.stats();
    } catch (err) {
      this.deps.log(`job ${jobId}: cannot read its cgroup: ${(err as Error).message}`);
      return undefined;
    }
  }

  private take(jobId: string, final: boolean): void {
    const t = this.jobs.get(jobId);
    if (!t) return;
    const st = this.read(jobId, t.cgroup);
    if (!st) return;
    const now = performance.now();
    const elapsedMs = now - t.prevAt;
    const cpu = st.cpuUsageUsec;
    const cpuPercent = cpu !== undefined && t.prevCpuUsec !== undefined && elapsedMs > 0 ? Math.max(0, round2(((cpu - t.prevCpuUsec) / (elapsedMs * 1000)) * 100)) : 0;
    t.prevAt = now;
    t.prevCpuUsec = cpu;
    const veth = this.deps.veth(jobId);
    const s: JobSample = {
      jobId,
      at: Date.now(),
      intervalMs: Math.round(elapsedMs),
      cpuPercent,
      cpuUsageUsec: cpu,
      memoryBytes: st.memoryCurrentBytes,
      memoryPeakBytes: st.memoryPeakBytes,
      memoryLimitBytes: st.memoryLimitBytes,
      ioReadBytes: st.ioReadBytes,
      ioWriteBytes: st.ioWriteBytes,
      // The host end of the pair: what it receives the job sent, and the other way round.
      netRxBytes: veth ? readCounter(`/sys/class/net/${veth}/statistics/tx_bytes`) : undefined,
      netTxBytes: veth ? readCounter(`/sys/class/net/${veth}/statistics/rx_bytes`) : undefined,
      processCount: st.pidsCurrent,
      cpuPeriods: st.cpuPeriods,
      cpuThrottledPeriods: st.cpuThrottledPeriods,
      cpuThrottledUsec: st.cpuThrottledUsec,
      oomKills: st.oomKills,
      pressure: st.pressure,
      final,
    };
    t.last = s;
    this.pending.push(s);
    this.flushTimer ??= setTimeout(() => this.flush(), FLUSH_MS).unref();
    for (const l of this.listeners.get(jobId) ?? []) l.sample(s);
  }
}
