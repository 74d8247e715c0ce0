/**
 * The end of a RunJob or RunJobStreaming call, shared by both: a request with a cron expression
 * becomes a schedule (which keeps the staged uploads), any other request a job.
 */
import type { RunJobResponse } from '../../gen/joblet';
import type { JobManager, PendingJob } from '../jobs/manager';
import type { JobRequest } from '../jobs/validate';
import type { ScheduleManager } from '../schedule/manager';
import { toJob } from '../mappers';
import { toSchedule } from './schedule-wire';

/** Create the job or the schedule; the pending submission is consumed either way. */
export function submit(jobs: JobManager, schedules: ScheduleManager, pending: PendingJob, spec: JobRequest, owner: string): RunJobResponse {
  if (!spec.recurring) {
    const job = jobs.launch(pending, spec, owner);
    return { jobUuid: job.id, status: job.status, job: toJob(job), schedule: undefined };
  }
  let created;
  try {
    created = schedules.create(pending.id, spec, { bytes: pending.uploadBytes, entries: pending.uploadEntries }, pending.uploads, owner);
  } catch (err) {
    jobs.abandon(pending);
    throw err;
  }
  jobs.handOff(pending);
  return { jobUuid: '', status: 'SCHEDULED', job: undefined, schedule: toSchedule(schedules.get(created.id)) };
}
