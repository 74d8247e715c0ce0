/** The filters of `rnx list`, checked before any network traffic. */
import { parseStatuses, type JobStatus } from '../shared/job-status';
import { parsePositiveInt } from '../shared/limits';
import { parseScheduleDuration } from '../shared/schedule';
import { InvalidArgumentError } from '../shared/errors';
import { printable } from '../shared/ids';

/** What `rnx list` asks the server for. */
export interface ListQuery {
  /** Newest N jobs only; 0 = all. */
  limit: number;
  statuses: JobStatus[];
  /** RFC3339; '' = all. */
  since: string;
}

/** Parse --limit, --status and --since. */
export function listQuery(o: { limit?: string; status?: string[]; since?: string }, now = Date.now()): ListQuery {
  const limit = o.limit === undefined ? 0 : parsePositiveInt('--limit', o.limit, 1, 1_000_000, 'jobs');
  const statuses = parseStatuses('--status', o.status ?? []);
  let since = '';
  if (o.since !== undefined) {
    const ms = parseScheduleDuration(o.since);
    if (ms === undefined || ms <= 0) throw new InvalidArgumentError(`--since: '${printable(o.since)}' is not a duration; use e.g. 30m, 2h or 1d`);
    since = new Date(now - ms).toISOString();
  }
  return { limit, statuses, since };
}
