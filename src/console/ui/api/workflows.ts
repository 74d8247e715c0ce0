/** Workflows: the calls of the workflows pages. */
import type { WorkflowRunBody, WorkflowView } from '../../shared/types';
import { call, nodeApi } from './core';

/** The newest workflows of the node, newest first (rnx workflow list --all). */
export function listWorkflows(node: string): Promise<WorkflowView[]> {
  return call('GET', nodeApi(node, 'workflows'));
}

/** Run a workflow file (rnx workflow run FILE). */
export function runWorkflow(node: string, body: WorkflowRunBody): Promise<{ id: string; status: string }> {
  return call('POST', nodeApi(node, 'workflows'), body);
}

/** Stop a running workflow: its running jobs are stopped, the waiting ones canceled (rnx workflow stop). */
export function stopWorkflow(node: string, id: string): Promise<{ id: string; status: string }> {
  return call('POST', nodeApi(node, `workflows/${encodeURIComponent(id)}/stop`));
}

/** Delete an ended workflow with its jobs and their logs (rnx workflow delete). */
export function deleteWorkflow(node: string, id: string): Promise<{ id: string; deleted: boolean; deletedJobs: number }> {
  return call('DELETE', nodeApi(node, `workflows/${encodeURIComponent(id)}`));
}

/** Address of one workflow's live status. */
export function workflowLiveUrl(node: string, id: string): string {
  return nodeApi(node, `live/workflows/${encodeURIComponent(id)}`);
}
