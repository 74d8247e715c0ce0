/**
 * The warm init pool (DESIGN §3.6): init stages started before any job needs them, each already
 * PID 1 of its own PID namespace with Node started and its modules loaded, blocked on its spec
 * pipe. A job takes one and only sends its spec; the checklist (network namespace, mounts,
 * cgroup, credentials, seccomp) runs after that, exactly as for a cold start. Every init runs
 * one job at most, so nothing of one job can reach another.
 *
 * - The pool fills when the first job comes, and refills after each claiming call has returned
 *   (setImmediate), never inside it.
 * - A burst larger than the pool takes inits that are still starting (their spec waits in the
 *   pipe), then cold starts: never an error.
 * - Node's start-up is the expensive part (CPU and ~40 MB each), so at most `maxStarting` inits
 *   start at once; jobs beyond that wait in order for a slot instead of piling up.
 * - An idle init is replaced after `maxIdleMs`; one that dies while idle is dropped and replaced,
 *   with a growing pause if they keep dying before they are ready.
 * - The daemon's death ends every pooled init: PR_SET_PDEATHSIG, and EOF on its spec pipe.
 */
import * as os from 'node:os';
import { JobletError } from '../shared/errors';
import type { JobSpec } from './spec';
import { encodeJob, startInit, type InitProcess, type SandboxProcess } from './spawn';

/** Settings of a pool. */
export interface PoolOptions {
  /** Warm inits kept ready; 0 disables the pool (every job starts cold). */
  size: number;
  /** An idle init older than this (ms) is replaced by a fresh one. */
  maxIdleMs: number;
  /** Inits allowed to be starting at once (pool and cold starts together); default 2 × CPUs + size, at least 4. */
  maxStarting?: number;
  /** Starts an init; tests substitute the command. */
  start?: () => InitProcess;
  /** Warnings (an init that died while idle, a failed refill). */
  warn?: (msg: string) => void;
}

/** What the pool holds right now. */
export interface PoolStats {
  /** Unclaimed inits (ready or starting). */
  idle: number;
  /** Unclaimed and ready. */
  ready: number;
  /** Inits whose Node is still starting (claimed or not). */
  starting: number;
  /** Jobs waiting for a start slot. */
  queued: number;
}

interface Waiter {
  request: Buffer;
  resolve: (p: SandboxProcess) => void;
  reject: (err: unknown) => void;
}

const MAX_BACKOFF_MS = 30_000;

/** Keeps `size` init stages warm and hands them to jobs. */
export class WarmPool {
  private readonly idle: InitProcess[] = [];
  private readonly queue: Waiter[] = [];
  private readonly all = new Set<InitProcess>();
  private starting = 0;
  private stopped = false;
  private refillScheduled = false;
  private failures = 0;
  private pausedUntil = 0;
  private timer?: NodeJS.Timeout;
  private readonly maxStarting: number;
  private readonly start: () => InitProcess;

  constructor(private readonly opts: PoolOptions) {
    this.maxStarting = opts.maxStarting ?? Math.max(4, 2 * os.availableParallelism() + opts.size);
    this.start = opts.start ?? (() => startInit());
  }

  /**
   * Start recycling idle inits. The pool fills when the first job takes an init (cold), and is
   * kept full from then on: a daemon that runs no job holds no init process, and none is started
   * while a restarting daemon is still clearing what its predecessor left.
   */
  open(): void {
    if (this.opts.size > 0) {
      // A quarter of the idle limit, at most a minute: an expired init waits at most that long.
      this.timer = setInterval(() => this.recycle(), Math.min(60_000, Math.max(1000, this.opts.maxIdleMs / 4)));
      this.timer.unref();
    }
  }

  /** Fill the pool now instead of at the first job. */
  fill(): void {
    this.refill();
  }

  /**
   * A sandbox for `spec`: a warm init if one is ready, else one still starting, else a cold start
   * (or, when `maxStarting` inits are already starting, the next free slot). Rejects with
   * InvalidArgumentError for a malformed spec, before any init is used. A job waiting for a slot
   * leaves the queue when `abort` fires (rejecting with its reason): no init ever gets its spec.
   */
  spawn(spec: JobSpec, abort?: AbortSignal): Promise<SandboxProcess> {
    let request: Buffer;
    try {
      request = encodeJob(spec);
    } catch (err) {
      return Promise.reject(err);
    }
    const init = this.take();
    if (init) return Promise.resolve(this.claim(init, request));
    if (this.starting < this.maxStarting || this.stopped) {
      try {
        return Promise.resolve(this.claim(this.launch(), request));
      } catch (err) {
        return Promise.reject(err);
      }
    }
    if (abort?.aborted) return Promise.reject(abort.reason);
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        const at = this.queue.indexOf(w);
        if (at >= 0) this.queue.splice(at, 1);
        reject(abort!.reason);
      };
      const w: Waiter = {
        request,
        resolve: (p) => (abort?.removeEventListener('abort', onAbort), resolve(p)),
        reject: (err) => (abort?.removeEventListener('abort', onAbort), reject(err)),
      };
      abort?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(w);
    });
  }

  /** What the pool holds (for tests and diagnostics). */
  stats(): PoolStats {
    return { idle: this.idle.length, ready: this.idle.filter((i) => i.isReady).length, starting: this.starting, queued: this.queue.length };
  }

  /** Pids of every init the pool started that still runs, claimed or not (for tests). */
  pids(): number[] {
    return [...this.all].map((i) => i.pid);
  }

  /** Stop refilling, let every idle init go and wait (≤ 5 s) for them to end; queued jobs start cold. */
  async close(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    const idle = this.idle.splice(0);
    for (const i of idle) i.discard();
    this.drain();
    await Promise.race([Promise.all(idle.map((i) => i.exited)), new Promise((r) => setTimeout(r, 5000).unref())]);
  }

  private take(): InitProcess | undefined {
    // Oldest ready first; otherwise the oldest still starting, which is the closest to ready.
    const at = this.idle.findIndex((i) => i.isReady);
    const index = at >= 0 ? at : this.idle.findIndex((i) => i.available);
    if (index < 0) return undefined;
    return this.idle.splice(index, 1)[0];
  }

  private claim(init: InitProcess, request: Buffer): SandboxProcess {
    const proc = init.claim(request);
    this.scheduleRefill();
    return proc;
  }

  /** Starts one init and accounts for it; throws when it cannot be started. */
  private launch(): InitProcess {
    const init = this.start();
    this.all.add(init);
    this.starting++;
    void init.ready.then((ok) => {
      this.starting--;
      if (ok) this.failures = 0;
      this.drain();
      this.scheduleRefill();
    });
    void init.exited.then((exit) => {
      this.all.delete(init);
      const at = this.idle.indexOf(init);
      if (at < 0) return; // claimed or discarded: its end is someone else's business
      this.idle.splice(at, 1);
      if (init.readyAt === undefined) {
        this.failures++;
        this.pausedUntil = Date.now() + Math.min(MAX_BACKOFF_MS, 500 * 2 ** this.failures);
      }
      this.opts.warn?.(`warm init ${init.pid} ended while idle (${exit.signal ?? `exit code ${exit.code}`}); replacing it`);
      this.scheduleRefill();
    });
    return init;
  }

  /** Queued jobs get inits first: taken from the pool or started as slots free up. */
  private drain(): void {
    while (this.queue.length > 0) {
      const init = this.take() ?? (this.starting < this.maxStarting || this.stopped ? this.tryLaunch() : undefined);
      if (!init) return;
      const w = this.queue.shift()!;
      if (init instanceof Error) w.reject(init);
      else w.resolve(this.claim(init, w.request));
    }
  }

  private tryLaunch(): InitProcess | Error {
    try {
      return this.launch();
    } catch (err) {
      return err instanceof Error ? err : new JobletError('INTERNAL', String(err));
    }
  }

  private scheduleRefill(): void {
    if (this.refillScheduled || this.stopped) return;
    this.refillScheduled = true;
    // After the current call (a RunJob) has returned: refilling is never on a job's path.
    setImmediate(() => {
      this.refillScheduled = false;
      this.refill();
    });
  }

  private refill(): void {
    if (this.stopped || this.queue.length > 0) return;
    const wait = this.pausedUntil - Date.now();
    if (wait > 0) {
      setTimeout(() => this.scheduleRefill(), wait).unref();
      return;
    }
    while (this.idle.length < this.opts.size && this.starting < this.maxStarting) {
      try {
        this.idle.push(this.launch());
      } catch (err) {
        this.failures++;
        this.pausedUntil = Date.now() + Math.min(MAX_BACKOFF_MS, 500 * 2 ** this.failures);
        this.opts.warn?.(`cannot start a warm init: ${err instanceof Error ? err.message : String(err)}`);
        this.scheduleRefill();
        return;
      }
    }
  }

  /** Replace the oldest idle init once it is older than maxIdleMs (one per tick, so they never all restart at once). */
  private recycle(): void {
    const limit = this.opts.maxIdleMs * 1000;
    const now = Number(process.hrtime.bigint() / 1000n);
    const old = this.idle.find((i) => i.isReady && now - i.spawnedAt > limit);
    if (!old) return;
    this.idle.splice(this.idle.indexOf(old), 1);
    old.discard();
    this.refill();
  }
}
