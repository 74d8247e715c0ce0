/**
 * The monitoring manager: owns the host collector, the per-job sampler and the stored samples,
 * and answers the monitoring RPCs. Its background work (the host tick, job sampling, pruning
 * samples past the retention) starts with start() and ends with stop().
 */
import type { ServerVersionInfo } from '../../gen/joblet';
import type { CgroupManager } from '../../sandbox/cgroups/manager';
import { isTerminal, type JobRecord } from '../../store/job-record';
import type { JobSample, MetricsStore } from '../../store/metrics';
import { sampledCgroups } from './cgroup-hook';
import type { Fetcher } from './cloud-metadata';
import { HostCollector, METRIC_TYPES, type HostSnapshot, type Reading } from './collector';
import { serverVersionInfo } from '../server-version';
import { JobSampler } from './job-sampler';
import { AsyncQueue, sleep } from './queue';
import { checkInterval, checkMetricTypes, checkRange } from './requests';

/** Settings from the server config (`monitoring:`) and the state dir. */
export interface MonitoringSettings {
  stateDir: string;
  jobIntervalSeconds: number;
  retentionDays: number;
  cloudMetadata: boolean;
}

/** What the manager needs from the rest of the daemon. */
export interface MonitoringDeps {
  store: MetricsStore;
  /** A job by id or unique prefix (throws NotFoundError); the job manager's get(). */
  job(idOrPrefix: string): JobRecord;
  /** Host-side veth of a running job, if it has one (the network manager). */
  veth(jobId: string): string | undefined;
  log: (msg: string) => void;
  /** Instance-metadata fetcher (tests); the HTTP one by default. */
  fetcher?: Fetcher;
}

/** A full status: every section plus the server's build. */
export type SystemStatus = HostSnapshot & { serverVersion: ServerVersionInfo };

const PRUNE_EVERY_MS = 3600_000;
/** How often a live job stream re-checks a job it has no samples for (not started yet, or failed before its cgroup). */
const STATUS_POLL_MS = 1000;

/** Owns monitoring for one daemon. */
export class MonitoringManager {
  private readonly sampler: JobSampler;
  private readonly host: HostCollector;
  private pruneTimer?: NodeJS.Timeout;
  private readonly version = serverVersionInfo();

  constructor(
    private readonly s: MonitoringSettings,
    private readonly deps: MonitoringDeps,
  ) {
    this.sampler = new JobSampler(s.jobIntervalSeconds * 1000, { store: deps.store, veth: deps.veth, log: deps.log });
    this.host = new HostCollector({ stateDir: s.stateDir, cloudMetadata: s.cloudMetadata, fetcher: deps.fetcher, log: deps.log });
  }

  /** The daemon's cgroup manager with every job cgroup sampled from creation to destruction. */
  meter(cgroups: CgroupManager): CgroupManager {
    return sampledCgroups(cgroups, this.sampler);
  }

  /** Start the host tick and the retention pruning. */
  start(): void {
    this.host.start();
    this.prune();
    this.pruneTimer = setInterval(() => this.prune(), PRUNE_EVERY_MS).unref();
  }

  /** Stop all background work (after the jobs were stopped). */
  stop(): void {
    clearInterval(this.pruneTimer);
    this.host.stop();
    this.sampler.stopAll();
  }

  private prune(): void {
    try {
      const n = this.deps.store.prune(Date.now() - this.s.retentionDays * 86400_000);
      if (n > 0) this.deps.log(`dropped ${n} job metrics samples older than ${this.s.retentionDays} days (monitoring.retentionDays)`);
    } catch (err) {
      this.deps.log(`pruning job metrics failed: ${(err as Error).message}`);
    }
  }

  /** Every section of the host now, and the server's build. */
  async systemStatus(): Promise<SystemStatus> {
    const { snapshot } = await this.host.collect(new Set(METRIC_TYPES));
    return { ...snapshot, serverVersion: this.version };
  }

  /**
   * Samples of the asked sections: the first at once, then one every interval (on a fixed
   * schedule, so slow samples do not make it drift) until the signal aborts.
   */
  async *systemStream(intervalSeconds: number, metricTypes: string[], signal: AbortSignal): AsyncGenerator<HostSnapshot> {
    const ms = checkInterval(intervalSeconds) * 1000;
    const types = checkMetricTypes(metricTypes);
    let reading: Reading | undefined;
    let start = performance.now();
    for (let k = 1; !signal.aborted; k++) {
      const got = await this.host.collect(types, reading);
      reading = got.reading;
      yield got.snapshot;
      let wait = start + k * ms - performance.now();
      // Far behind (a slow consumer): restart the schedule rather than send a burst.
      if (wait < -ms) {
        start = performance.now();
        k = 0;
        wait = ms;
      }
      if (wait > 0) await sleep(wait, signal);
    }
  }

  /** Stored samples of a job in a range of Unix ns (decimal text; 0 = open), oldest first. */
  jobHistory(idOrPrefix: string, startNs: string, endNs: string, limit: number): { jobId: string; samples: Iterable<JobSample> } {
    const range = checkRange(startNs, endNs, limit);
    const job = this.deps.job(idOrPrefix);
    this.sampler.flush();
    return { jobId: job.id, samples: this.deps.store.range(job.id, range.fromMs, range.toMs, range.limit) };
  }

  /**
   * Live samples of a job: its latest sample at once (if it has one), then each new one; the
   * stream ends after the job's final sample, at once for a job that has ended, or on abort.
   */
  async *jobStream(idOrPrefix: string, signal: AbortSignal): AsyncGenerator<JobSample> {
    const id = this.deps.job(idOrPrefix).id;
    const q = new AsyncQueue<JobSample>();
    const unsubscribe = this.sampler.subscribe(id, { sample: (s) => q.push(s), end: () => q.end() });
    try {
      const latest = this.sampler.latest(id);
      if (latest) yield latest;
      let lastAt = latest?.at ?? 0;
      while (!signal.aborted) {
        for (const s of q.take()) {
          if (s.at <= lastAt) continue;
          lastAt = s.at;
          yield s;
        }
        // Items may have arrived while a yield waited on the consumer: drain them before ending.
        if (q.isEnded && q.size === 0) return;
        // Not sampled (yet or at all): a job that ended without a cgroup never sends an end.
        if (!this.sampler.tracks(id) && isTerminal(this.deps.job(id).status)) return;
        await q.wait(signal, STATUS_POLL_MS);
      }
    } finally {
      unsubscribe();
    }
  }

  /** The newest sample of a running job (for GetJobStatus). */
  current(jobId: string): JobSample | undefined {
    return this.sampler.latest(jobId);
  }
}
