/** JobService.GetWorkflowStatus (v2.3.x): a workflow and its jobs, by id or unique prefix. */
import type { GetWorkflowStatusRequest, GetWorkflowStatusResponse } from '../../gen/joblet';
import type { WorkflowManager } from '../workflows/manager';
import { toWorkflowInfo, toWorkflowJob } from './workflow-wire';

/** Handler factory. */
export function getWorkflowStatus(workflows: WorkflowManager) {
  return async (req: GetWorkflowStatusRequest): Promise<GetWorkflowStatusResponse> => {
    const v = workflows.get(req.workflowUuid);
    return { workflow: toWorkflowInfo(v), jobs: v.jobs.map(toWorkflowJob) };
  };
}
