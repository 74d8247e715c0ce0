/**
 * The console's jobs list as the server pages it (ListJobsRequest page_size / page_token /
 * statuses): the browser asks for one page at a time and never receives the whole list. Pages run
 * from the newest jobs to older ones; `before` is the server's token of the page shown ("" = the
 * newest). The text filter narrows the page shown (the server has no text search).
 */
import type { JobView } from './types';

/** Statuses of a job that has not finished: what the "Active" filter asks for. */
export const ACTIVE_STATUSES = ['SCHEDULED', 'PENDING', 'INITIALIZING', 'RUNNING', 'STOPPING'];

/** Page sizes the page offers; the API accepts 1 to MAX_LIMIT. */
export const PAGE_SIZES = [25, 50, 100];

/** What the page asks for, as it sends it in the query string. */
export interface JobsPageQuery {
  /** Statuses to keep (empty = all); "ACTIVE" stands for every not-yet-finished status. */
  status: string[];
  /** Case-insensitive text that the id, the command line or the owner must contain (within the page). */
  q: string;
  limit: number;
  /** The server's page token of this page; "" for the newest page. */
  before: string;
}

/** One page of jobs, newest first. */
export interface JobsPageView {
  jobs: JobView[];
  /** Jobs the server sent for this page, before the text filter. */
  fetched: number;
  limit: number;
  before: string;
  /** Token of the next (older) page; "" when this is the last. */
  next: string;
}

/** Statuses the filter chips offer, with what each asks of the server. */
export const STATUS_FILTERS: { label: string; status: string[] }[] = [
  { label: 'All', status: [] },
  { label: 'Active', status: ['ACTIVE'] },
  { label: 'Scheduled', status: ['SCHEDULED'] },
  { label: 'Completed', status: ['COMPLETED'] },
  { label: 'Failed', status: ['FAILED'] },
  { label: 'Stopped', status: ['STOPPED'] },
  { label: 'Canceled', status: ['CANCELED'] },
];

const MAX_LIMIT = 500;
const TOKEN = /^[A-Za-z0-9_\-=.:+/]{0,200}$/;

/** Read a query from URL parameters, clamping what is out of range. */
export function parseJobsPageQuery(p: URLSearchParams): JobsPageQuery {
  const raw = p.get('limit');
  const n = raw !== null && /^\d{1,9}$/.test(raw) ? Number(raw) : PAGE_SIZES[0]!;
  const status = (p.get('status') ?? '')
    .split(',')
    .map((s) => s.trim().toUpperCase())
    .filter(Boolean);
  const before = p.get('before') ?? '';
  return { status, q: (p.get('q') ?? '').trim().slice(0, 200), limit: Math.min(MAX_LIMIT, Math.max(1, n)), before: TOKEN.test(before) ? before : '' };
}

/** The query as URL parameters (defaults left out). */
export function jobsPageQueryString(q: JobsPageQuery): string {
  const p = new URLSearchParams();
  if (q.status.length) p.set('status', q.status.join(','));
  if (q.q) p.set('q', q.q);
  if (q.limit !== PAGE_SIZES[0]) p.set('limit', String(q.limit));
  if (q.before) p.set('before', q.before);
  return p.toString();
}

/** The statuses to ask the server for ("ACTIVE" expanded). */
export function serverStatuses(q: JobsPageQuery): string[] {
  return [...new Set(q.status.flatMap((s) => (s === 'ACTIVE' ? ACTIVE_STATUSES : [s])))];
}

/** The page the server sent (oldest first), newest first and narrowed by the text filter. */
export function shapePage(jobs: JobView[], next: string, q: JobsPageQuery): JobsPageView {
  const needle = q.q.toLowerCase();
  const shown = jobs
    .slice()
    .reverse()
    .filter((j) => !needle || j.id.includes(needle) || [j.command, ...j.args].join(' ').toLowerCase().includes(needle) || j.owner.toLowerCase().includes(needle));
  return { jobs: shown, fetched: jobs.length, limit: q.limit, before: q.before, next };
}
