/** WorkflowService.ValidateWorkflow: every check RunWorkflow makes, and nothing created. */
import type { RunWorkflowRequest, ValidateWorkflowResponse } from '../../gen/joblet';
import { formatProblem } from '../../shared/workflow/problems';
import type { WorkflowManager } from '../workflows/manager';
import { workflowInput } from './workflow-wire';

/** Handler factory. */
export function validateWorkflow(workflows: WorkflowManager) {
  return async (req: RunWorkflowRequest): Promise<ValidateWorkflowResponse> => {
    const r = workflows.validate(workflowInput(req));
    const plan = r.prepared?.plan;
    return { valid: r.problems.length === 0, problems: r.problems.map(formatProblem), name: plan?.name ?? '', jobOrder: plan?.order ?? [] };
  };
}
