/** WorkflowService.StopWorkflow: cancel its PENDING jobs, stop its running ones; answers when it has ended. */
import type { GetWorkflowStatusResponse, WorkflowRef } from '../../gen/joblet';
import type { CallerContext } from '../middleware/auth';
import type { WorkflowManager } from '../workflows/manager';
import { toWorkflowInfo, toWorkflowJob } from './workflow-wire';

/** Handler factory. */
export function stopWorkflow(workflows: WorkflowManager) {
  return async (req: WorkflowRef, ctx: CallerContext): Promise<GetWorkflowStatusResponse> => {
    const v = await workflows.stop(req.uuid, ctx.caller.name);
    return { workflow: toWorkflowInfo(v), jobs: v.jobs.map(toWorkflowJob) };
  };
}
