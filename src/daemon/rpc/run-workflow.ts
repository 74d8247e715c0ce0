/**
 * JobService.RunWorkflow (v2.3.x): check the workflow completely, then create and start it — or,
 * with cron set (our addition), store it as a recurring schedule that runs it at each firing.
 * Nothing is created when any check fails.
 */
import type { RunWorkflowRequest, RunWorkflowResponse } from '../../gen/joblet';
import { InvalidArgumentError } from '../../shared/errors';
import { checkScheduleName, parseConcurrency, parseCron } from '../../shared/cron';
import { newJobId } from '../../shared/ids';
import type { CallerContext } from '../middleware/auth';
import type { ScheduleManager } from '../schedule/manager';
import type { WorkflowManager } from '../workflows/manager';
import { toSchedule } from './schedule-wire';
import { toWorkflowInfo, toWorkflowJob, workflowInput } from './workflow-wire';

/** Handler factory. */
export function runWorkflow(workflows: WorkflowManager, schedules: ScheduleManager) {
  return async (req: RunWorkflowRequest, ctx: CallerContext): Promise<RunWorkflowResponse> => {
    const input = workflowInput(req);
    if (!req.cron) {
      const extra = [req.cronTimezone && 'cron_timezone', req.concurrency && 'concurrency', req.scheduleName && 'schedule_name'].filter(Boolean);
      if (extra.length) throw new InvalidArgumentError(`${extra.join(', ')} only apply to a recurring schedule: add cron`);
      const v = workflows.submit(input, ctx.caller.name);
      return { workflowUuid: v.rec.id, status: v.rec.status, workflowInfo: toWorkflowInfo(v), jobs: v.jobs.map(toWorkflowJob), schedule: undefined };
    }
    const recurring = {
      cron: parseCron('cron', req.cron, req.cronTimezone ?? '', 'cron_timezone'),
      concurrency: parseConcurrency('concurrency', req.concurrency ?? ''),
      name: checkScheduleName('schedule_name', req.scheduleName ?? ''),
    };
    schedules.admit({ recurring });
    const target = workflows.prepareTarget(input);
    let id: string;
    try {
      id = schedules.add(newJobId(), recurring, target, ctx.caller.name).id;
    } catch (err) {
      workflows.releaseTarget(target);
      throw err;
    }
    return { workflowUuid: '', status: 'SCHEDULED', workflowInfo: undefined, jobs: [], schedule: toSchedule(schedules.get(id)) };
  };
}
