/** The job target of schedules: each firing starts a job from the schedule's stored request. */
import { describeError } from '../../shared/errors';
import type { JobManager } from '../jobs/manager';
import type { ScheduleTargetRunner } from './manager';

/** A ScheduleTargetRunner over the job manager. */
export function jobTargetRunner(jobs: JobManager): ScheduleTargetRunner {
  return {
    start: (s) => {
      if (s.target.kind !== 'job') throw new Error(`schedule ${s.id} does not start a job`);
      return jobs.startFromSchedule(s.target, { id: s.id, name: s.name }, s.owner).id;
    },
    status: (ref) => jobs.lifecycle.get(ref)?.status,
    stop: async (ref, by) => {
      try {
        await jobs.stop(ref, by);
      } catch (err) {
        // It ended by itself meanwhile: nothing to stop.
        if (!/is not running/.test(describeError(err))) throw err;
      }
    },
  };
}
