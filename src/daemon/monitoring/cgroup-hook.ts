/**
 * How per-job sampling attaches to the job life cycle without the job manager knowing: the
 * daemon's CgroupManager is wrapped so that creating a job's cgroup starts its sampling, and
 * destroying it (after every process of the job is gone) takes the final sample first.
 */
import type { CgroupManager, JobCgroup } from '../../sandbox/cgroups/manager';
import type { JobSampler } from './job-sampler';

/** `inner`, with every job cgroup it creates sampled by `sampler` until destroyed. */
export function sampledCgroups(inner: CgroupManager, sampler: JobSampler): CgroupManager {
  return {
    get kind() {
      return inner.kind;
    },
    create(jobId: string): JobCgroup {
      const cg = inner.create(jobId);
      sampler.track(jobId, cg);
      return withFinalSample(jobId, cg, sampler);
    },
    // Opened cgroups are leftovers of an earlier run, killed and removed at recovery: nothing to sample.
    open: (jobId) => inner.open(jobId),
    list: () => inner.list(),
    dispose: () => inner.dispose(),
  };
}

// A Proxy rather than a copy of each method: whatever the JobCgroup interface gains, it forwards.
function withFinalSample(jobId: string, cg: JobCgroup, sampler: JobSampler): JobCgroup {
  const destroy = async () => {
    sampler.finish(jobId);
    await cg.destroy();
  };
  return new Proxy(cg, {
    get(target, prop) {
      if (prop === 'destroy') return destroy;
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}
