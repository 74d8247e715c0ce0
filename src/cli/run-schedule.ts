/**
 * The scheduling flags of `rnx run`, kept apart from the general flag parser: --schedule=SPEC
 * (one run later; resolved here to an absolute time in this machine's zone, sent with its offset),
 * --cron=EXPR, --cron-tz=ZONE, --concurrency=allow|forbid|replace and --name=NAME (a recurring
 * schedule). Everything is checked before any network traffic; the server checks again.
 */
import { checkScheduleName, checkTimeZone, parseConcurrency, parseCron } from '../shared/cron';
import { localRfc3339, parseSchedule } from '../shared/schedule';

/** Timing asked for on the command line ('' = not given). */
export interface RunTiming {
  /** RFC3339 with this machine's offset, resolved from --schedule. */
  schedule: string;
  cron: string;
  cronTz: string;
  concurrency: string;
  name: string;
}

/** Flags handled here; each takes a value. */
export const SCHEDULE_FLAGS = ['--schedule', '--cron', '--cron-tz', '--concurrency', '--name'];

/** Apply one scheduling flag; false when `name` is not one. */
export function applyScheduleFlag(t: RunTiming, name: string, value: string): boolean {
  switch (name) {
    case '--schedule':
      t.schedule = localRfc3339(parseSchedule('--schedule', value));
      return true;
    case '--cron':
      // The zone may come later on the command line; it is checked on its own below.
      t.cron = parseCron('--cron', value, '').expr;
      return true;
    case '--cron-tz':
      t.cronTz = checkTimeZone('--cron-tz', value);
      return true;
    case '--concurrency':
      t.concurrency = parseConcurrency('--concurrency', value);
      return true;
    case '--name':
      t.name = checkScheduleName('--name', value);
      return true;
    default:
      return false;
  }
}
