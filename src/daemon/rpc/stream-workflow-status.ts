/**
 * WorkflowService.StreamWorkflowStatus: the whole status at once, then again after every change (bursts
 * of changes coalesced), ending after the workflow has ended or when the caller goes away.
 */
import type { GetWorkflowStatusRequest, GetWorkflowStatusResponse } from '../../gen/joblet';
import type { CallContext } from 'nice-grpc';
import type { WorkflowManager } from '../workflows/manager';
import { toWorkflowInfo, toWorkflowJob } from './workflow-wire';

/** Handler factory. */
export function streamWorkflowStatus(workflows: WorkflowManager) {
  return async function* (req: GetWorkflowStatusRequest, ctx: CallContext): AsyncGenerator<GetWorkflowStatusResponse> {
    for await (const v of workflows.watch(req.workflowUuid, ctx.signal)) yield { workflow: toWorkflowInfo(v), jobs: v.jobs.map(toWorkflowJob) };
  };
}
