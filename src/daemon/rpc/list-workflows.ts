/**
 * JobService.ListWorkflows (v2.3.x): without includeCompleted only the workflows that have not
 * ended, as v2.3.x had it. Our additions page the answer (newest pages first, each page oldest
 * first, as ListJobs) and filter by state.
 */
import type { ListWorkflowsRequest, ListWorkflowsResponse } from '../../gen/joblet';
import { InvalidArgumentError } from '../../shared/errors';
import { WORKFLOW_STATUSES, type WorkflowStatus } from '../../store/workflow-record';
import type { WorkflowManager } from '../workflows/manager';
import { toWorkflowInfo } from './workflow-wire';

const MAX_PAGE = 1000;

/** Handler factory. */
export function listWorkflows(workflows: WorkflowManager) {
  return async (req: ListWorkflowsRequest): Promise<ListWorkflowsResponse> => {
    const size = req.pageSize ?? 0;
    if (size < 0) throw new InvalidArgumentError('page_size must not be negative');
    const limit = Math.min(size || MAX_PAGE, MAX_PAGE);
    let statuses = (req.statuses ?? []).map((s) => s.trim().toUpperCase());
    for (const s of statuses) if (!(WORKFLOW_STATUSES as readonly string[]).includes(s)) throw new InvalidArgumentError(`statuses: '${s.slice(0, 20)}' is not a workflow state; use ${WORKFLOW_STATUSES.join(', ')}`);
    if (!req.includeCompleted && statuses.length === 0) statuses = ['PENDING', 'RUNNING'];
    const before = req.pageToken ? decodeToken(req.pageToken) : undefined;
    const views = workflows.page({ before, statuses: statuses as WorkflowStatus[], limit: limit + 1 });
    const page = views.slice(0, limit);
    const last = page[page.length - 1];
    return {
      workflows: page.reverse().map((v) => toWorkflowInfo(v, false)),
      nextPageToken: views.length > limit && last ? Buffer.from(`${last.rec.createdAt}/${last.rec.id}`).toString('base64url') : '',
    };
  };
}

function decodeToken(token: string): [number, string] {
  const m = /^(\d{1,16})\/([0-9a-f-]{36})$/.exec(Buffer.from(token, 'base64url').toString());
  if (!m) throw new InvalidArgumentError('page_token is not one this server issued; start again without it');
  return [Number(m[1]), m[2]!];
}
