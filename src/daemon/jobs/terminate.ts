/**
 * Stopping a job promptly. SIGTERM goes to every process of the job's cgroup. A PID 1 of a PID
 * namespace only receives signals from outside its namespace for which it installed a handler, so
 * when the job's PID 1 does not catch SIGTERM (bit 15 of SigCgt in /proc/PID/status: `sleep`, most
 * programs) waiting the grace period would only waste it: SIGKILL follows at once. A job that
 * catches SIGTERM gets its grace period to exit.
 */
import * as fs from 'node:fs';

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
