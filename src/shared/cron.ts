/**
 * Recurring schedules (`rnx run --cron=…`): expressions, time zones and the concurrency policy,
 * checked the same way by rnx (before any network traffic) and the daemon. Cron arithmetic is
 * croner's (a maintained, dependency-free library with time-zone and DST handling); `@every
 * DURATION` is a fixed interval, anchored at the schedule's creation so restarts keep its cadence.
 */
import { Cron } from 'croner';
import { InvalidArgumentError } from './errors';
import { printable } from './ids';
import { parseScheduleDuration } from './schedule';

/** What happens when a firing comes while the schedule's previous job still runs. */
export const CONCURRENCY_POLICIES = ['allow', 'forbid', 'replace'] as const;
/** One concurrency policy. */
export type Concurrency = (typeof CONCURRENCY_POLICIES)[number];

const NICKNAMES: Record<string, string> = { '@midnight': '@daily', '@minutely': '* * * * *' };
const CRON_FORMS = "use 5 fields (min hour day month weekday), 6 with seconds first, @hourly, @daily, @weekly, @monthly, @yearly or '@every 90s'";

/** A checked recurring schedule. */
export interface CronSpec {
  /** The expression as given (trimmed). */
  expr: string;
  /** IANA zone; '' = the server's local zone. */
  timezone: string;
  /** For `@every`: the interval in ms. */
  everyMs?: number;
}

/** Check a schedule name ('' = unnamed): 1-63 letters, digits, '_', '.', '-', starting with a letter or digit. */
export function checkScheduleName(flag: string, name: string): string {
  const n = name.trim();
  if (n && !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/.test(n)) {
    throw new InvalidArgumentError(`${flag}: '${printable(n)}' is not a valid schedule name; use 1-63 letters, digits, '_', '.' and '-', starting with a letter or digit`);
  }
  return n;
}

/** Parse --concurrency. */
export function parseConcurrency(flag: string, text: string): Concurrency {
  const t = text.trim().toLowerCase() || 'allow';
  if (!(CONCURRENCY_POLICIES as readonly string[]).includes(t)) {
    throw new InvalidArgumentError(`${flag}: '${printable(text)}' is not a concurrency policy; use allow (start anyway), forbid (skip while the previous job runs) or replace (stop it first)`);
  }
  return t as Concurrency;
}

/** Check an IANA time zone name ('' = local); returns it trimmed. */
export function checkTimeZone(flag: string, tz: string): string {
  const t = tz.trim();
  if (!t) return '';
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: t });
  } catch {
    throw new InvalidArgumentError(`${flag}: '${printable(t)}' is not a time zone; use an IANA name such as UTC, Europe/Berlin or America/New_York`);
  }
  return t;
}

/** Check a cron expression with its zone; refuses syntax errors, out-of-range fields and expressions that never fire. */
export function parseCron(flag: string, expr: string, timezone: string, tzFlag = '--cron-tz'): CronSpec {
  const e = expr.trim().replace(/\s+/g, ' ');
  if (!e) throw new InvalidArgumentError(`${flag} is empty; ${CRON_FORMS}`);
  if (e.length > 256) throw new InvalidArgumentError(`${flag}: the expression is too long (at most 256 characters)`);
  const tz = checkTimeZone(tzFlag, timezone);
  const every = /^@every\s+(\S+)$/i.exec(e);
  if (every) {
    const ms = parseScheduleDuration(every[1]!);
    if (ms === undefined || ms < 1000 || ms > 366 * 86_400_000) {
      throw new InvalidArgumentError(`${flag}: '@every ${printable(every[1]!)}' needs a duration from 1s to 366d, e.g. @every 90s or @every 1h30m`);
    }
    return { expr: e, timezone: tz, everyMs: ms };
  }
  let next: Date | null;
  try {
    next = cronOf(e, tz).nextRun(new Date());
  } catch (err) {
    const why = (err as Error).message.replace(/^Cron\w*: /, '');
    throw new InvalidArgumentError(`${flag}: '${printable(e)}' is not a valid cron expression (${why}); ${CRON_FORMS}`);
  }
  if (!next) throw new InvalidArgumentError(`${flag}: '${printable(e)}' never fires (no such date); check the day and month fields`);
  return { expr: e, timezone: tz };
}

function cronOf(expr: string, timezone: string): Cron {
  const e = NICKNAMES[expr.toLowerCase()] ?? expr;
  return new Cron(e, { timezone: timezone || undefined, mode: '5-or-6-parts', paused: true });
}

/**
 * The first firing strictly after `after`; `anchor` (ms) is where `@every` intervals count from.
 * Null when the expression never fires again.
 */
export function nextFiring(spec: CronSpec, after: number, anchor: number): number | null {
  if (spec.everyMs) {
    const k = Math.floor((after - anchor) / spec.everyMs) + 1;
    return anchor + Math.max(1, k) * spec.everyMs;
  }
  const next = cronOf(spec.expr, spec.timezone).nextRun(new Date(after));
  return next ? next.getTime() : null;
}
