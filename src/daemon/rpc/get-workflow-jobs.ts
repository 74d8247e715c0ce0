/** JobService.GetWorkflowJobs (v2.3.x): the jobs of a workflow, in file order. */
import type { GetWorkflowJobsRequest, GetWorkflowJobsResponse } from '../../gen/joblet';
import type { WorkflowManager } from '../workflows/manager';
import { toWorkflowJob } from './workflow-wire';

/** Handler factory. */
export function getWorkflowJobs(workflows: WorkflowManager) {
  return async (req: GetWorkflowJobsRequest): Promise<GetWorkflowJobsResponse> => ({ jobs: workflows.get(req.workflowUuid).jobs.map(toWorkflowJob) });
}
