/**
 * What a daemon does with the jobs of its previous run, and the retention policy that bounds how
 * many finished jobs it keeps.
 */
import { describeError } from '../../shared/errors';
import type { JobStore } from '../../store/db';
import type { ManagerDeps } from './deps';
import type { JobLifecycle } from './lifecycle';

/** Keep finished jobs (and their logs) for `days` days and/or only the newest `keep`; 0 = no bound. */
export interface RetentionPolicy {
  days: number;
  keep: number;
}

/** States a job can end in, and so be removed by retention. */
const FINISHED = ['COMPLETED', 'FAILED', 'STOPPED', 'CANCELED'] as const;

/**
 * Kill and remove every cgroup of ours, and mark jobs that were set up, running or stopping
 * FAILED: the daemon died under them, so nothing of them survives.
 */
export async function recoverJobs(deps: ManagerDeps, lifecycle: JobLifecycle): Promise<void> {
  for (const id of deps.cgroups.list()) {
    const cg = deps.cgroups.open(id);
    if (!cg) continue;
    try {
      await cg.killAll();
      await cg.destroy();
    } catch (err) {
      deps.log(`job ${id}: cannot remove its cgroup left by the previous run: ${describeError(err)}`);
    }
  }
  for (const job of deps.store.withStatus(['INITIALIZING', 'RUNNING', 'STOPPING'])) {
    lifecycle.tryTransition(job.id, 'FAILED', {
      exitCode: -1,
      failureReason: 'daemon restarted: the joblet daemon stopped while this job was running; the job was killed',
    });
    deps.log(`job ${job.id} was still ${job.status} at start-up: marked FAILED`);
  }
}

/**
 * Re-arm scheduled jobs. One whose time passed while the daemon was down runs now when it is late
 * by at most `graceMs`; otherwise it fails as missed, naming when it should have run.
 */
export function resumeScheduled(lifecycle: JobLifecycle, store: JobStore, graceMs: number, now: number, arm: (id: string, at: number) => void, log: (m: string) => void): void {
  for (const job of store.withStatus(['SCHEDULED'])) {
    const at = job.scheduledAt ?? now;
    if (now - at > graceMs) {
      lifecycle.tryTransition(job.id, 'FAILED', { exitCode: -1, failureReason: `missed: the daemon was down at ${new Date(at).toISOString()} (more than scheduling.misfireGraceSeconds = ${Math.round(graceMs / 1000)} s late)` });
      log(`scheduled job ${job.id} missed its time ${new Date(at).toISOString()} while the daemon was down: marked FAILED`);
      continue;
    }
    if (at < now) log(`scheduled job ${job.id} was due at ${new Date(at).toISOString()} while the daemon was down: running it now`);
    arm(job.id, at);
  }
}

/** Delete finished jobs beyond the policy; returns how many went. */
export function sweepRetention(store: JobStore, policy: RetentionPolicy, now: number, remove: (id: string) => void): number {
  let n = 0;
  if (policy.days > 0) {
    const cutoff = now - policy.days * 86_400_000;
    for (;;) {
      // Jobs created before the cutoff that also ended before it (a long job's record stays while it is fresh).
      const old = store.page({ before: [cutoff, ''], statuses: [...FINISHED], limit: 500 }).filter((j) => (j.endedAt ?? j.createdAt) < cutoff);
      for (const j of old) remove(j.id);
      n += old.length;
      if (old.length < 500) break;
    }
  }
  if (policy.keep > 0) {
    for (;;) {
      const extra = store.idsByAge([...FINISHED], policy.keep, 500);
      for (const j of extra) remove(j.id);
      n += extra.length;
      if (extra.length < 500) break;
    }
  }
  return n;
}
