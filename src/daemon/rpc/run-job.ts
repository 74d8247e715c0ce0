/** JobService.RunJob: start a job; uploads come inline (for large files see run-job-streaming.ts). */
import type { RunJobRequest, RunJobResponse } from '../../gen/joblet';
import type { CallerContext } from '../middleware/auth';
import type { JobManager } from '../jobs/manager';
import { checkUploadList, type UploadEntry } from '../jobs/uploads';
import { InvalidArgumentError } from '../../shared/errors';
import type { ScheduleManager } from '../schedule/manager';
import type { WorkflowManager } from '../workflows/manager';
import { toJob } from '../mappers';
import { submit } from './submit';

/** Handler factory. */
export function runJob(jobs: JobManager, schedules: ScheduleManager, workflows: WorkflowManager) {
  return async (req: RunJobRequest, ctx: CallerContext): Promise<RunJobResponse> => {
    if (req.workflowUuid || req.requirements.length) {
      // v2.3.x: a job of a running workflow, started when its requirements are met.
      if (!req.workflowUuid) throw new InvalidArgumentError('requirements name jobs of a workflow: set workflowUuid too (RunWorkflow creates one)');
      const job = workflows.addJob(req.workflowUuid, req, ctx.caller.name);
      return { jobUuid: job.id, status: job.status, job: toJob(job), schedule: undefined };
    }
    const spec = jobs.check(req);
    schedules.admit(spec);
    const entries: UploadEntry[] = req.uploads.map((u) => ({ path: u.path, mode: u.mode, isDirectory: u.isDirectory, size: -1 }));
    const inodes = checkUploadList(entries);
    const pending = jobs.prepare(spec, req.uploads.reduce((n, u) => n + u.content.length, 0), inodes, req.jobUuid || undefined);
    try {
      req.uploads.forEach((u, i) => {
        const entry = entries[i]!;
        if (u.isDirectory) return pending.workspace.mkdir(entry);
        pending.workspace.begin(entry);
        pending.workspace.write(u.content);
        pending.workspace.finish();
        pending.uploads.push(u.path);
      });
    } catch (err) {
      jobs.abandon(pending);
      throw err;
    }
    return submit(jobs, schedules, pending, spec, ctx.caller.name);
  };
}
