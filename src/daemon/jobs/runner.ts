/**
 * One job's run, from INITIALIZING to its terminal state: set up (workspace for a job whose
 * uploads were staged, cgroup, resources, limits), spawn, wait, and finalise. Setup checks the
 * job's abort signal between steps, so a stop or a shutdown during setup spawns nothing.
 * Finalisation always completes: every clean-up step is guarded on its own, so a failing one (a
 * full disk, a process that cannot be killed) is logged and the job still reaches its terminal
 * state, its log followers end and its concurrency slot is freed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { JobletError, describeError } from '../../shared/errors';
import { formatDuration } from '../../shared/limits';
import type { JobCgroup } from '../../sandbox/cgroups/manager';
import type { SandboxProcess } from '../../sandbox/spawn';
import type { JobRecord } from '../../store/job-record';
import { LogStream, type LogWriter } from '../../store/log-file';
import type { ManagerSettings } from './manager';
import type { LogSignal } from './log-follow';
import type { JobLifecycle } from './lifecycle';
import type { ManagerDeps, WorkspaceOps } from './deps';
import { exitOutcome, usageFrom, withOomCause, type StopCause } from './outcome';
import { buildJobSpec } from './sandbox-spec';
import { copyStaged, removeStaged } from './staging';
import { within } from './terminate';

/** How long a cgroup kill may take before the job is declared unkillable. */
export const KILL_TIMEOUT_MS = 15_000;

/** A job whose run is in progress (setup, running, or being stopped). */
export interface LiveJob {
  id: string;
  /** Aborted by a stop or shutdown; setup checks it between steps. */
  abort: AbortController;
  proc?: SandboxProcess;
  exited: boolean;
  /** The command was exec'd (before that, PID 1 is our own init stage). */
  execed?: boolean;
  cgroup?: JobCgroup;
  writer: LogWriter;
  signal: LogSignal;
  stop?: StopCause;
  /** The stop in progress, for callers that join it. */
  stopping?: Promise<void>;
  timer?: NodeJS.Timeout;
  /** Settles when the job has reached its terminal state and everything is released. */
  done: Promise<void>;
}

/** What a run needs from its manager. */
export interface RunContext {
  s: ManagerSettings;
  deps: ManagerDeps;
  lifecycle: JobLifecycle;
  workspaces: WorkspaceOps;
  jobDir(id: string): string;
  /** Called last, after the terminal state is stored and announced. */
  finished(live: LiveJob): void;
  /** Stop the job (used by its timeout). */
  terminate(live: LiveJob, cause: StopCause): Promise<void>;
}

/** The launch was canceled by a stop during setup. */
class LaunchCanceled extends Error {}

type Release = () => Promise<void>;

/** Run a job that is INITIALIZING; resolves when it is terminal and cleaned up. Never rejects. */
export async function runJob(job: JobRecord, live: LiveJob, ctx: RunContext): Promise<void> {
  const releases: Release[] = [];
  let result: Partial<JobRecord>;
  try {
    result = await setUpAndWait(job, live, ctx, releases);
  } catch (err) {
    result = setupFailure(err, live);
  }
  try {
    await finish(job, live, ctx, releases, result);
  } catch (err) {
    // finish() guards each step; this is the last line of defence against a bug there.
    ctx.deps.log(`BUG: job ${job.id}: finalisation failed: ${describeError(err)}`);
    ctx.lifecycle.tryTransition(job.id, 'FAILED', { exitCode: -1, failureReason: `internal error while finishing the job: ${describeError(err)}` });
  } finally {
    live.signal.end();
    ctx.finished(live);
  }
}

function setupFailure(err: unknown, live: LiveJob): Partial<JobRecord> {
  if (err instanceof LaunchCanceled || (live.stop && !live.proc)) {
    return { status: live.stop?.status ?? 'STOPPED', exitCode: -1, failureReason: live.stop?.reason ?? 'canceled' };
  }
  const reason = `could not start the job: ${describeError(err)}`;
  live.writer.notice(`[joblet] ${reason}\n`);
  return { status: 'FAILED', exitCode: 125, failureReason: reason };
}

async function setUpAndWait(job: JobRecord, live: LiveJob, ctx: RunContext, releases: Release[]): Promise<Partial<JobRecord>> {
  const { s, deps } = ctx;
  const signal = live.abort.signal;
  const checkpoint = () => {
    if (signal.aborted) throw new LaunchCanceled();
  };
  const dir = ctx.jobDir(job.id);
  if (job.staged) {
    // A job that waited (scheduled): its RAM workspace is made now and its uploads copied in.
    const { bytes, entries, key } = job.staged;
    ctx.workspaces.create(dir, { diskBytes: job.limits.diskBytes, uploadBytes: bytes, uploadEntries: entries }, s.uid, s.gid);
    await copyStaged(s.stateDir, key, path.join(dir, 'work'), s.uid, s.gid, signal);
  }
  checkpoint();
  live.cgroup = deps.cgroups.create(job.id);
  let spec = buildJobSpec(job, { root: path.join(dir, 'root'), work: path.join(dir, 'work') }, live.cgroup.procsFiles, s);
  for (const r of deps.resources ?? []) {
    checkpoint();
    const got = await untilAborted(Promise.resolve().then(() => r.acquire(job)), signal).catch((err) => {
      if (err instanceof LaunchCanceled) throw err;
      throw new JobletError('FAILED_PRECONDITION', `${r.name}: ${describeError(err)}`);
    });
    releases.push(got.release);
    spec = { ...spec, ...got.spec, binds: [...(spec.binds ?? []), ...(got.spec?.binds ?? [])] };
  }
  checkpoint();
  // A limit that was asked for and cannot be applied fails the job; it is never dropped.
  live.cgroup.setLimits({
    cpuPercent: job.limits.cpuPercent || undefined,
    cpuCores: job.limits.cpuCores || undefined,
    memoryBytes: job.limits.memoryBytes,
    pids: job.limits.pids,
    ioBps: job.limits.ioBps ? { bps: job.limits.ioBps, devices: blockDevices() } : undefined,
  });
  checkpoint();
  const spawned = deps.spawn(spec, signal);
  // A stop while the job waits for a start slot takes it out of the queue (the rejection is the abort).
  const proc = spawned instanceof Promise ? await spawned.catch((err) => Promise.reject(signal.aborted ? new LaunchCanceled() : err)) : spawned;
  live.proc = proc;
  void proc.exited.then(() => (live.exited = true), () => (live.exited = true));
  // A stop cannot land between a slot's hand-over and this line (one tick of the event loop), but
  // should one ever: a stopped job must not run, so finish() kills and reaps its init.
  checkpoint();
  const drained = Promise.all([pump(proc.stdout, LogStream.Stdout, live.writer), pump(proc.stderr, LogStream.Stderr, live.writer)]);
  const early = await awaitStart(job, live, ctx, proc);
  let result = early ?? exitOutcome(await proc.exited, live.stop);
  // PID 1 is gone, so the kernel killed its namespace; the cgroup catches anything else.
  result = await killCgroup(live, result, ctx.s.killTimeoutMs ?? KILL_TIMEOUT_MS);
  try {
    const usage = usageFrom(live.cgroup.stats());
    result = { ...withOomCause(result, usage, job.limits.memoryBytes), usage };
  } catch (err) {
    deps.log(`job ${job.id}: cannot read its cgroup counters: ${describeError(err)}`);
  }
  await within(drained, 5000);
  return result;
}

/** Wait for exec; on success the job is RUNNING (unless a stop began). A setup failure returns the final result. */
async function awaitStart(job: JobRecord, live: LiveJob, ctx: RunContext, proc: SandboxProcess): Promise<Partial<JobRecord> | undefined> {
  try {
    await proc.started;
  } catch (err) {
    const failure = (err as { failure?: { message: string; exitCode: number } }).failure;
    await proc.exited.catch(() => undefined);
    if (live.stop) return { status: live.stop.status, exitCode: 143, failureReason: live.stop.reason };
    const reason = failure?.message ?? describeError(err);
    // The job never ran: say why where the user looks first, in its output.
    live.writer.notice(`[joblet] ${reason}\n`);
    return { status: 'FAILED', exitCode: failure?.exitCode ?? 125, failureReason: reason };
  }
  live.execed = true;
  if (live.stop) return undefined;
  ctx.lifecycle.transition(job.id, 'RUNNING', { startedAt: ctx.deps.now?.() ?? Date.now() });
  // The timeout counts the command's run time, not the sandbox's set-up (slow on a loaded host).
  if (job.limits.timeoutMs) {
    live.timer = setTimeout(() => {
      void ctx.terminate(live, { reason: `timeout: the job ran longer than ${formatDuration(job.limits.timeoutMs)}`, status: 'FAILED' });
    }, job.limits.timeoutMs);
  }
  return undefined;
}

/** Kill what is left in the cgroup; a kill that does not finish in time fails the job instead of hanging it. */
async function killCgroup(live: LiveJob, result: Partial<JobRecord>, limit: number): Promise<Partial<JobRecord>> {
  if (!live.cgroup) return result;
  let error: unknown;
  const killed = live.cgroup.killAll().catch((err) => {
    error = err;
  });
  const inTime = await within(killed, limit);
  if (inTime && error === undefined) return result;
  const why = inTime ? describeError(error) : `no answer in ${limit / 1000} s`;
  live.writer.notice(`[joblet] the job's processes could not be killed: ${why}\n`);
  return { ...result, status: 'FAILED', exitCode: result.exitCode ?? -1, failureReason: `could not be killed: ${why}` };
}

async function finish(job: JobRecord, live: LiveJob, ctx: RunContext, releases: Release[], result: Partial<JobRecord>): Promise<void> {
  const { deps, s } = ctx;
  const step = async (what: string, fn: () => unknown): Promise<void> => {
    try {
      await fn();
    } catch (err) {
      deps.log(`job ${job.id}: ${what}: ${describeError(err)}`);
    }
  };
  clearTimeout(live.timer);
  const proc = live.proc;
  if (proc && !live.exited) {
    // Setup failed after the spawn: make sure the process is gone before its cgroup is removed.
    await step('kill', () => process.kill(proc.pid, 'SIGKILL'));
    await within(proc.exited, 2000);
  }
  if (live.cgroup && result.status !== 'FAILED') result = await killCgroup(live, result, ctx.s.killTimeoutMs ?? KILL_TIMEOUT_MS);
  else if (live.cgroup) await within(live.cgroup.killAll().catch(() => undefined), s.killTimeoutMs ?? KILL_TIMEOUT_MS);
  await step('cgroup clean-up', () => live.cgroup?.destroy());
  for (const release of releases.reverse()) await step('release', release);
  await step('workspace clean-up', () => ctx.workspaces.remove(ctx.jobDir(job.id)));
  // A one-shot scheduled job owns its staged uploads; a schedule's are kept for its next firing.
  if (job.staged?.key === job.id) await step('staged uploads clean-up', () => removeStaged(s.stateDir, job.id));
  // The output pipes may still deliver data after a timed-out drain: stop listening before closing.
  proc?.stdout.destroy();
  proc?.stderr.destroy();
  if (live.writer.failed) deps.log(`job ${job.id}: its output could not be stored completely: ${describeError(live.writer.failed)}`);
  const truncated = live.writer.truncated;
  await step('closing the log', () => live.writer.closeAsync());
  const fields: Partial<JobRecord> = { ...result, outputTruncated: truncated || undefined };
  delete fields.status;
  if (!truncated) delete fields.outputTruncated;
  const to = result.status ?? 'FAILED';
  if (!ctx.lifecycle.tryTransition(job.id, to, fields)) {
    // Only a bug gets here (logged by the lifecycle); the job must still end.
    ctx.lifecycle.tryTransition(job.id, 'FAILED', { ...fields, failureReason: `internal error: could not record the job as ${to}${result.failureReason ? ` (${result.failureReason})` : ''}` });
  }
}

/**
 * Await `p` unless `signal` aborts first. When it aborts, whatever `p` still acquires is released
 * as soon as it arrives: nothing was spawned that could use it.
 */
function untilAborted<T extends { release(): Promise<void> }>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  const releaseLate = () => void p.then((late) => late.release()).catch(() => undefined);
  if (signal.aborted) {
    releaseLate();
    return Promise.reject(new LaunchCanceled());
  }
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      reject(new LaunchCanceled());
      releaseLate();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        if (!signal.aborted) resolve(v);
      },
      (err) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

/** Whole-disk block devices ("major:minor") that --max-iobps throttles: every real disk and active loop device. */
function blockDevices(): string[] {
  const out: string[] = [];
  for (const name of fs.readdirSync('/sys/block')) {
    if (/^(ram|zram)/.test(name)) continue;
    try {
      if (Number(fs.readFileSync(`/sys/block/${name}/size`, 'utf8')) === 0) continue; // detached loop devices
      out.push(fs.readFileSync(`/sys/block/${name}/dev`, 'utf8').trim());
    } catch {
      /* vanished meanwhile */
    }
  }
  return out;
}

/** Copy a job's output stream into its log, pausing while the log asks (a live follower catching up). */
function pump(stream: NodeJS.ReadableStream, which: LogStream.Stdout | LogStream.Stderr, writer: LogWriter): Promise<void> {
  return new Promise((resolve) => {
    stream.on('data', (chunk: Buffer) => {
      const room = writer.write(which, chunk);
      if (room !== true) {
        stream.pause();
        void room.then(() => stream.resume());
      }
    });
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', () => resolve());
  });
}
