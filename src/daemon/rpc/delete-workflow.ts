/** WorkflowService.DeleteWorkflow: a finished workflow, its jobs and their logs. */
import type { DeleteWorkflowResponse, WorkflowRef } from '../../gen/joblet';
import type { WorkflowManager } from '../workflows/manager';

/** Handler factory. */
export function deleteWorkflow(workflows: WorkflowManager) {
  return async (req: WorkflowRef): Promise<DeleteWorkflowResponse> => {
    const r = workflows.delete(req.uuid);
    return { uuid: r.id, deleted: true, deletedJobs: r.deletedJobs };
  };
}
