/**
 * The scheduling flags of `rnx run`: --schedule=SPEC (one run later; resolved here to an absolute
 * time in this machine's zone, sent with its offset), --cron=EXPR, --cron-tz=ZONE,
 * --concurrency=allow|forbid|replace and --name=NAME (a recurring schedule). Everything is checked
 * before any network traffic; the server checks again.
 */
import type { RunJobRequest } from '../gen/joblet';
import { InvalidArgumentError } from '../shared/errors';
import { CONCURRENCY_POLICIES, checkScheduleName, checkTimeZone, parseConcurrency, parseCron } from '../shared/cron';
import { localRfc3339, parseSchedule } from '../shared/schedule';

/** Values of --concurrency, for help and completion. */
export const CONCURRENCY_MODES: readonly string[] = CONCURRENCY_POLICIES;

/** Timing flags as given on the command line (undefined = not given). */
export interface RunTiming {
  schedule?: string;
  cron?: string;
  cronTz?: string;
  concurrency?: string;
  name?: string;
}

/** Refuse combinations that make no sense, before anything is parsed. */
export function checkTiming(t: RunTiming, wait: boolean): void {
  if (t.schedule !== undefined && t.cron !== undefined) throw new InvalidArgumentError('give either --schedule (one run) or --cron (recurring), not both');
  if (t.cron === undefined && (t.cronTz !== undefined || t.concurrency !== undefined || t.name !== undefined)) {
    throw new InvalidArgumentError('--cron-tz, --concurrency and --name belong to a recurring schedule: add --cron');
  }
  if (t.cron !== undefined && wait) throw new InvalidArgumentError("--wait cannot follow a recurring schedule; follow its jobs with 'rnx log ID' (see 'rnx schedule list')");
}

/** The RunJobRequest fields for these flags, each checked. */
export function timingFields(t: RunTiming): Pick<RunJobRequest, 'schedule' | 'cron' | 'cronTimezone' | 'concurrency' | 'scheduleName'> {
  return {
    schedule: t.schedule === undefined ? '' : localRfc3339(parseSchedule('--schedule', t.schedule)),
    // The zone is checked on its own; the expression is checked again against it by the server.
    cron: t.cron === undefined ? '' : parseCron('--cron', t.cron, '').expr,
    cronTimezone: t.cronTz === undefined ? '' : checkTimeZone('--cron-tz', t.cronTz),
    concurrency: t.concurrency === undefined ? '' : parseConcurrency('--concurrency', t.concurrency),
    scheduleName: t.name === undefined ? '' : checkScheduleName('--name', t.name),
  };
}
