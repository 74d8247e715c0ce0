/**
 * Filtering and paging of the jobs list. The server lists every job at once today (ListJobs has
 * no paging yet), so the console's backend pages for the browser: the page only ever receives one
 * page, and when the server learns to page the API the browser sees stays the same.
 */
import type { JobPage, JobView } from './types';

/** Filter and page of the jobs list, as the page sends them in the query string. */
export interface JobsQuery {
  /** Statuses to keep (empty = all); "active" stands for every not-yet-finished status. */
  status: string[];
  /** Case-insensitive text that the id, the command line or the owner must contain. */
  q: string;
  offset: number;
  limit: number;
}

/** Statuses of a job that has not finished. */
export const ACTIVE_STATUSES = ['SCHEDULED', 'PENDING', 'INITIALIZING', 'RUNNING', 'STOPPING'];

/** Statuses the filter offers, in the order a job goes through them. */
export const STATUS_CHOICES = ['INITIALIZING', 'RUNNING', 'COMPLETED', 'FAILED', 'STOPPED'];

/** Page sizes the page offers; the API accepts 1 to MAX_LIMIT. */
export const PAGE_SIZES = [25, 50, 100];
const MAX_LIMIT = 500;

/** Read a query from URL parameters, clamping what is out of range. */
export function parseJobsQuery(p: URLSearchParams): JobsQuery {
  const int = (v: string | null, def: number, min: number, max: number) => {
    const n = v !== null && /^\d{1,9}$/.test(v) ? Number(v) : def;
    return Math.min(max, Math.max(min, n));
  };
  const status = (p.get('status') ?? '')
    .split(',')
    .map((s) => s.trim().toUpperCase())
    .filter(Boolean);
  return { status, q: (p.get('q') ?? '').trim().slice(0, 200), offset: int(p.get('offset'), 0, 0, 1e9), limit: int(p.get('limit'), PAGE_SIZES[0]!, 1, MAX_LIMIT) };
}

/** The query as URL parameters (defaults left out). */
export function jobsQueryString(q: JobsQuery): string {
  const p = new URLSearchParams();
  if (q.status.length) p.set('status', q.status.join(','));
  if (q.q) p.set('q', q.q);
  if (q.offset) p.set('offset', String(q.offset));
  if (q.limit !== PAGE_SIZES[0]) p.set('limit', String(q.limit));
  return p.toString();
}

/** One page of `jobs` for `q`, newest first, with the counts per status over all jobs. */
export function pageJobs(jobs: JobView[], q: JobsQuery): JobPage {
  const counts: Record<string, number> = {};
  for (const j of jobs) counts[j.status] = (counts[j.status] ?? 0) + 1;
  const wanted = new Set(q.status.flatMap((s) => (s === 'ACTIVE' ? ACTIVE_STATUSES : [s])));
  const needle = q.q.toLowerCase();
  const matching = jobs.filter((j) => {
    if (wanted.size && !wanted.has(j.status)) return false;
    if (!needle) return true;
    return j.id.includes(needle) || [j.command, ...j.args].join(' ').toLowerCase().includes(needle) || j.owner.toLowerCase().includes(needle);
  });
  // Newest first: created time, then id so that equal times keep a stable order.
  matching.sort((a, b) => (a.createdTime === b.createdTime ? a.id.localeCompare(b.id) : (a.createdTime ?? '') < (b.createdTime ?? '') ? 1 : -1));
  // A page past the end (jobs were deleted meanwhile) shows the last page instead of nothing.
  const offset = q.offset >= matching.length ? Math.max(0, Math.floor((matching.length - 1) / q.limit) * q.limit) : q.offset;
  return { jobs: matching.slice(offset, offset + q.limit), total: matching.length, offset, limit: q.limit, counts };
}
