/**
 * JobService.ListJobs: jobs page by page, newest pages first, each page oldest first. A page holds
 * at most page_size jobs (1000 at most) and stays below the server's maxMessageBytes, so the
 * answer can never be refused by the transport however many jobs there are.
 */
import { Job, type Jobs, type ListJobsRequest } from '../../gen/joblet';
import { InvalidArgumentError } from '../../shared/errors';
import { parseStatuses } from '../../shared/job-status';
import type { JobManager } from '../jobs/manager';
import type { WorkflowManager } from '../workflows/manager';
import { toJob } from '../mappers';

/** Largest page. */
export const MAX_PAGE = 1000;

/** Handler factory; `maxBytes` is the server's largest message. */
export function listJobs(jobs: JobManager, maxBytes: number, workflows?: WorkflowManager) {
  return async (req: ListJobsRequest): Promise<Jobs> => {
    const size = req.pageSize ?? 0;
    if (size < 0) throw new InvalidArgumentError('page_size must not be negative');
    const limit = Math.min(size || MAX_PAGE, MAX_PAGE);
    const statuses = parseStatuses('statuses', req.statuses ?? []);
    let since: number | undefined;
    if (req.since) {
      since = Date.parse(req.since);
      if (Number.isNaN(since)) throw new InvalidArgumentError(`since: '${req.since.slice(0, 40)}' is not an RFC3339 time`);
    }
    // Room for the envelope and the token; each entry costs its bytes plus a tag and a length.
    const budget = maxBytes - 1024;
    if (req.workflowUuid && workflows) return workflowJobs(jobs, workflows.jobIds(req.workflowUuid), { token: req.pageToken, statuses, since, limit, budget });
    const before = req.pageToken ? decodeToken(req.pageToken) : undefined;
    // One more than asked tells whether older jobs remain.
    const records = jobs.page({ before, statuses, since, limit: limit + 1 });
    const page: Job[] = [];
    let bytes = 0;
    let more = records.length > limit;
    for (const r of records.slice(0, limit)) {
      const j = toJob(r);
      const n = Job.encode(j).finish().length + 6;
      if (bytes + n > budget) {
        more = true;
        if (page.length === 0) throw new InvalidArgumentError(`job ${r.id} alone is larger than server.maxMessageBytes (${maxBytes})`);
        break;
      }
      bytes += n;
      page.push(j);
    }
    const last = records[page.length - 1];
    const nextPageToken = more && last ? encodeToken(last.createdAt, last.id) : '';
    return { jobs: page.reverse(), nextPageToken };
  };
}

/**
 * The jobs of a workflow, every attempt, in the workflow's order (creation, then file order),
 * paged from the end like any list (the token counts the jobs already sent).
 */
function workflowJobs(jobs: JobManager, ids: string[], q: { token: string; statuses: string[]; since?: number; limit: number; budget: number }): Jobs {
  const all = ids
    .flatMap((id, i) => {
      const j = jobs.lifecycle.get(id);
      return j ? [{ j, i }] : [];
    })
    .filter(({ j }) => (q.statuses.length === 0 || q.statuses.includes(j.status)) && (q.since === undefined || j.createdAt >= q.since))
    .sort((a, b) => a.j.createdAt - b.j.createdAt || a.i - b.i)
    .map(({ j }) => j);
  const m = /^w(\d{1,7})$/.exec(q.token ? Buffer.from(q.token, 'base64url').toString() : 'w0');
  if (!m) throw new InvalidArgumentError('page_token is not one this server issued; start again without it');
  const end = all.length - Number(m[1]);
  const page: Job[] = [];
  let bytes = 0;
  for (let i = end - 1; i >= 0 && page.length < q.limit; i--) {
    const j = toJob(all[i]!);
    const n = Job.encode(j).finish().length + 6;
    if (bytes + n > q.budget && page.length) break;
    bytes += n;
    page.unshift(j);
  }
  const sent = all.length - end + page.length;
  return { jobs: page, nextPageToken: sent < all.length ? Buffer.from(`w${sent}`).toString('base64url') : '' };
}

function encodeToken(createdAt: number, id: string): string {
  return Buffer.from(`${createdAt}/${id}`).toString('base64url');
}

function decodeToken(token: string): [number, string] {
  const m = /^(\d{1,16})\/([0-9a-f-]{36})$/.exec(Buffer.from(token, 'base64url').toString());
  if (!m) throw new InvalidArgumentError('page_token is not one this server issued; start again without it');
  return [Number(m[1]), m[2]!];
}
