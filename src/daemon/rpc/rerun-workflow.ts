/** WorkflowService.RerunWorkflow: a finished workflow again, as a new workflow linked to it. */
import type { RerunWorkflowRequest, RunWorkflowResponse } from '../../gen/joblet';
import type { CallerContext } from '../middleware/auth';
import type { WorkflowManager } from '../workflows/manager';
import { toWorkflowInfo, toWorkflowJob } from './workflow-wire';

/** Handler factory. */
export function rerunWorkflow(workflows: WorkflowManager) {
  return async (req: RerunWorkflowRequest, ctx: CallerContext): Promise<RunWorkflowResponse> => {
    const v = workflows.rerun(req.uuid, req.fromFailed, ctx.caller.name);
    return { workflowUuid: v.rec.id, status: v.rec.status, workflowInfo: toWorkflowInfo(v), jobs: v.jobs.map(toWorkflowJob), schedule: undefined };
  };
}
