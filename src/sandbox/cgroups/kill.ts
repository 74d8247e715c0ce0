/**
 * Ending every process of a job's cgroup. Where the kernel offers cgroup.kill (v2 and the hybrid
 * cgroup2 mount, Linux ≥ 5.14) one write kills the whole tree atomically, forks in flight included.
 * Elsewhere the freezer stops the tree first, so nothing can fork between reading cgroup.procs and
 * sending SIGKILL; killed tasks die on thaw, and the loop repeats until the cgroup is empty.
 */
import * as path from 'node:path';
import { JobletError } from '../../shared/errors';
import { errnoOf, type CgroupFs } from './fs';

/** Pids listed in a cgroup.procs file ([] when the cgroup is gone). */
export function readPids(fs: CgroupFs, procsFile: string): number[] {
  const text = fs.readIfExists(procsFile) ?? '';
  return text
    .split('\n')
    .filter((l) => /^\d+$/.test(l.trim()))
    .map(Number);
}

/**
 * Signals each pid, ignoring ones that exited meanwhile (ESRCH). The pids come from cgroup.procs, so
 * they were members an instant ago; Node has no pidfd API to close that reuse window, but the pid
 * allocator does not hand a just-freed pid out again within microseconds.
 */
export function signalPids(pids: number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch (err) {
      if (errnoOf(err) !== 'ESRCH') throw err;
    }
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls cond every intervalMs until it holds (true) or timeoutMs passes (false). */
export async function waitFor(cond: () => boolean, timeoutMs: number, intervalMs = 5): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (cond()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(intervalMs);
  }
}

/** True while a cgroup2 directory (or a descendant) holds a process, per its cgroup.events. */
export function populated(fs: CgroupFs, dir: string): boolean {
  const events = fs.readIfExists(path.join(dir, 'cgroup.events'));
  if (events === undefined) return false;
  return /^populated 1$/m.test(events);
}

function stillRunning(dir: string, pids: number[], timeoutMs: number, how: string): JobletError {
  return new JobletError(
    'INTERNAL',
    `cgroup ${dir} still has processes [${pids.join(', ')}] ${timeoutMs} ms after ${how}; ` +
      'a task stuck in uninterruptible sleep (D state) cannot die until its I/O completes',
  );
}

/** Writes cgroup.kill and waits until cgroup.events says "populated 0". */
export async function killViaCgroupKill(fs: CgroupFs, dir: string, timeoutMs: number): Promise<void> {
  if (!populated(fs, dir)) return;
  fs.write(path.join(dir, 'cgroup.kill'), '1');
  if (!(await waitFor(() => !populated(fs, dir), timeoutMs))) {
    throw stillRunning(dir, readPids(fs, path.join(dir, 'cgroup.procs')), timeoutMs, 'cgroup.kill');
  }
}

/** How to stop and resume a cgroup's processes; absent when no freezer is available. */
export interface Freezer {
  freeze(): void;
  /** True once every task is frozen. */
  frozen(): boolean;
  thaw(): void;
}

// How long to wait for a freeze to settle before killing anyway (a task in D state delays FROZEN).
const FREEZE_WAIT_MS = 500;

/**
 * Freeze, SIGKILL every pid, thaw; repeated until pids() is empty or timeoutMs passes. Without a
 * freezer it degrades to repeated SIGKILL sweeps, which still converges: every sweep kills all
 * current members, so only children forked during the sweep survive it.
 */
export async function killByFreezing(
  pids: () => number[],
  freezer: Freezer | undefined,
  dir: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (pids().length === 0) return;
    if (Date.now() >= deadline) throw stillRunning(dir, pids(), timeoutMs, 'freeze + SIGKILL');
    try {
      if (freezer) {
        freezer.freeze();
        await waitFor(() => freezer.frozen(), FREEZE_WAIT_MS);
      }
      signalPids(pids(), 'SIGKILL');
    } finally {
      // A frozen task holds its SIGKILL until thawed; never leave the cgroup frozen.
      freezer?.thaw();
    }
    await waitFor(() => pids().length === 0, Math.min(100, Math.max(0, deadline - Date.now())));
  }
}
