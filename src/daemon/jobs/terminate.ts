/**
 * Stopping a job promptly. SIGTERM goes to every process of the job's cgroup. A PID 1 of a PID
 * namespace only receives signals from outside its namespace for which it installed a handler, so
 * when the job's PID 1 does not catch SIGTERM (bit 15 of SigCgt in /proc/PID/status: `sleep`, most
 * programs) waiting the grace period would only waste it: SIGKILL follows at once. A job that
 * catches SIGTERM gets its grace period to exit.
 */
import * as fs from 'node:fs';
import { describeError } from '../../shared/errors';
import type { JobLifecycle } from './lifecycle';
import type { StopCause } from './outcome';
import type { LiveJob } from './runner';

/** What a stop needs from the manager. */
export interface StopEnv {
  lifecycle: JobLifecycle;
  log: (msg: string) => void;
  catchesSigterm: (pid: number) => boolean;
  killTimeoutMs: number;
}

/**
 * Stop a live job, or join the stop in progress: STOPPING (persisted and announced), the launch
 * aborted if it is still in setup, SIGTERM to every process, the grace period only when PID 1
 * handles SIGTERM, then SIGKILL to the cgroup and to PID 1 itself. Resolves when the job is
 * terminal and cleaned up.
 */
export function terminateLive(live: LiveJob, cause: StopCause, graceMs: number, env: StopEnv): Promise<void> {
  if (live.stopping) return live.stopping;
  live.stop = cause;
  env.lifecycle.tryTransition(live.id, 'STOPPING');
  live.abort.abort();
  live.stopping = killSequence(live, graceMs, env);
  return live.stopping;
}

async function killSequence(live: LiveJob, graceMs: number, env: StopEnv): Promise<void> {
  const proc = live.proc;
  if (!proc) return live.done; // still in setup: it sees the abort and spawns nothing
  try {
    live.cgroup?.signalAll('SIGTERM');
  } catch (err) {
    env.log(`job ${live.id}: SIGTERM: ${describeError(err)}`);
  }
  // Before exec, PID 1 is our init stage (Node, which installs a SIGTERM handler of its own): there
  // is no user process yet to give a grace period to.
  if (live.execed && graceMs > 0 && env.catchesSigterm(proc.pid)) await within(proc.exited, graceMs);
  if (!live.exited && live.cgroup) await within(live.cgroup.killAll().catch(() => undefined), env.killTimeoutMs);
  if (!live.exited) {
    // The init stage joins the cgroup last: before that only its own pid reaches it.
    try {
      process.kill(proc.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  return live.done;
}

/** True when `pid` has a handler for SIGTERM (false when it is gone or unreadable). */
export function catchesSigterm(pid: number): boolean {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /^SigCgt:\s*([0-9a-f]+)$/im.exec(status);
    if (!m) return false;
    // Bit n-1 stands for signal n; SIGTERM is 15.
    return (BigInt(`0x${m[1]}`) & (1n << 14n)) !== 0n;
  } catch {
    return false;
  }
}

/** Resolves true if `p` settles within `ms`, false otherwise (the timer never keeps the process alive). */
export function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    t.unref();
    p.then(
      () => {
        clearTimeout(t);
        resolve(true);
      },
      () => {
        clearTimeout(t);
        resolve(true);
      },
    );
  });
}

/** Sleep without keeping the process alive. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}
