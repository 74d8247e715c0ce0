/** One-shot schedule specs, grace durations, cron expressions, zones and policies (src/shared). */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkScheduleName, checkTimeZone, nextFiring, parseConcurrency, parseCron } from '../../src/shared/cron';
import { countMisses, MAX_COUNTED_MISSES } from '../../src/daemon/schedule/misfire';
import { localRfc3339, parseGrace, parseSchedule, parseScheduleDuration, timeUntil } from '../../src/shared/schedule';

const now = new Date('2026-06-15T12:00:00Z');

test('durations are summed over d, h, m, s (2h30m is 150 minutes, unlike the original)', () => {
  assert.is(parseScheduleDuration('30s'), 30_000);
  assert.is(parseScheduleDuration('5m'), 300_000);
  assert.is(parseScheduleDuration('1h30m'), 5_400_000);
  assert.is(parseScheduleDuration('2h30m'), 9_000_000);
  assert.is(parseScheduleDuration('1d'), 86_400_000);
  assert.is(parseScheduleDuration('1d2h3m4s'), 93_784_000);
  assert.is(parseScheduleDuration('2y'), undefined);
  assert.is(parseScheduleDuration('yesterday'), undefined);
  assert.is(parseSchedule('--schedule', '2h30m', now).getTime(), now.getTime() + 9_000_000);
  assert.is(parseSchedule('--schedule', '+45s', now).getTime(), now.getTime() + 45_000);
  assert.is(parseSchedule('--schedule', '1s', now).getTime(), now.getTime() + 1000, 'one second granularity, no one-minute minimum');
});

test('RFC3339 with a zone, without one (local), with fractions; HH:MM is the next occurrence', () => {
  assert.is(parseSchedule('s', '2026-06-15T13:00:00Z', now).toISOString(), '2026-06-15T13:00:00.000Z');
  assert.is(parseSchedule('s', '2026-06-15T15:00:00+02:00', now).toISOString(), '2026-06-15T13:00:00.000Z');
  assert.is(parseSchedule('s', '2026-06-15T08:30:00-0430', now).toISOString(), '2026-06-15T13:00:00.000Z');
  assert.is(parseSchedule('s', '2026-06-15T13:00:00.250Z', now).toISOString(), '2026-06-15T13:00:00.250Z');
  assert.is(parseSchedule('s', '2026-06-15T13:00:00', now).getTime(), new Date(2026, 5, 15, 13, 0, 0).getTime());
  assert.is(parseSchedule('s', '2026-06-15 13:00', now).getTime(), new Date(2026, 5, 15, 13, 0, 0).getTime());
  const local = new Date(2026, 5, 15, 10, 0, 0);
  const clock = parseSchedule('s', '09:00', local);
  assert.is(clock.getTime(), new Date(2026, 5, 16, 9, 0, 0).getTime(), 'a past time of day means tomorrow');
  assert.is(parseSchedule('s', '10:30', local).getTime(), new Date(2026, 5, 15, 10, 30, 0).getTime());
});

test('refusals name the limit: past, more than a year, invalid dates and times, junk', () => {
  assert.throws(() => parseSchedule('--schedule', 'yesterday', now), /--schedule: 'yesterday' is not a schedule; give a duration \(30s, 5m, 1h30m, 1d\), a time/);
  assert.throws(() => parseSchedule('--schedule', '2000-01-01T00:00:00Z', now), /is in the past; a schedule may be at most 30 s in the past/);
  assert.throws(() => parseSchedule('--schedule', '2y', now), /'2y' is not a schedule/);
  assert.throws(() => parseSchedule('--schedule', '366d', now), /more than 1 year ahead; the limit is 365 days/);
  assert.throws(() => parseSchedule('--schedule', '2027-06-16T12:00:00Z', now), /more than 1 year ahead/);
  assert.throws(() => parseSchedule('--schedule', '2026-02-30T10:00:00Z', now), /not a valid date and time/);
  assert.throws(() => parseSchedule('--schedule', '25:00', now), /not a time of day/);
  assert.throws(() => parseSchedule('--schedule', '', now), /--schedule is empty/);
  assert.throws(() => parseSchedule('--schedule', 'x'.repeat(100), now), /too long/);
  // Up to 30 s in the past is accepted (clock skew): it runs at once.
  assert.is(parseSchedule('s', '2026-06-15T11:59:45Z', now).toISOString(), '2026-06-15T11:59:45.000Z');
  assert.throws(() => parseSchedule('s', '2026-06-15T11:59:29Z', now), /in the past/);
});

test('localRfc3339 keeps the instant and carries the offset; timeUntil reads well', () => {
  const d = new Date('2026-06-15T13:00:00.500Z');
  const text = localRfc3339(d);
  assert.match(text, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.500[+-]\d\d:\d\d$/);
  assert.is(Date.parse(text), d.getTime());
  assert.is(timeUntil(new Date(now.getTime() + 12_000), now), 'in 12s');
  assert.is(timeUntil(new Date(now.getTime() + 3_900_000), now), 'in 1h 05m');
  assert.is(timeUntil(new Date(now.getTime() - 1), now), 'now');
});

test('stop grace: 0s to 1h', () => {
  assert.is(parseGrace('--grace', '0s'), 0);
  assert.is(parseGrace('--grace', '0'), 0);
  assert.is(parseGrace('--grace', '1m30s'), 90_000);
  assert.is(parseGrace('--grace', '500ms'), 500);
  assert.throws(() => parseGrace('--grace', 'soon'), /--grace: 'soon' is not a duration/);
  assert.throws(() => parseGrace('--grace', '2h'), /at most 1h/);
});

test('cron: 5 and 6 fields, nicknames, @every; bad fields, zones and never-firing dates refused', () => {
  assert.is(parseCron('--cron', '*/5 * * * *', '').expr, '*/5 * * * *');
  assert.is(parseCron('--cron', '0  30   2 * * *', 'UTC').expr, '0 30 2 * * *');
  for (const nick of ['@hourly', '@daily', '@weekly', '@monthly', '@yearly', '@midnight']) parseCron('--cron', nick, '');
  assert.is(parseCron('--cron', '@every 90s', '').everyMs, 90_000);
  assert.is(parseCron('--cron', '@every 1h30m', '').everyMs, 5_400_000);
  assert.throws(() => parseCron('--cron', '61 * * * *', ''), /--cron: '61 \* \* \* \*' is not a valid cron expression \(Invalid value for minute: 61\); use 5 fields/);
  assert.throws(() => parseCron('--cron', '* * * *', ''), /not a valid cron expression/);
  assert.throws(() => parseCron('--cron', '* * * * * * *', ''), /not a valid cron expression/);
  assert.throws(() => parseCron('--cron', '0 0 31 2 *', ''), /never fires/);
  assert.throws(() => parseCron('--cron', '@every 0s', ''), /needs a duration from 1s to 366d/);
  assert.throws(() => parseCron('--cron', '@every soon', ''), /needs a duration/);
  assert.throws(() => parseCron('--cron', '@daily', 'Mars/Base'), /--cron-tz: 'Mars\/Base' is not a time zone; use an IANA name/);
  assert.is(checkTimeZone('--cron-tz', ' Europe/Berlin '), 'Europe/Berlin');
  assert.is(checkTimeZone('--cron-tz', ''), '');
});

test('nextFiring: strictly after, in the zone; @every counts from its anchor', () => {
  const t = Date.parse('2026-06-15T12:00:00Z');
  const every = parseCron('c', '@every 90s', '');
  assert.is(nextFiring(every, t, t), t + 90_000);
  assert.is(nextFiring(every, t + 90_000, t), t + 180_000, 'a firing exactly at `after` is not repeated');
  assert.is(nextFiring(every, t + 100_000, t), t + 180_000);
  const berlin = parseCron('c', '0 3 * * *', 'Europe/Berlin');
  assert.is(new Date(nextFiring(berlin, t, t)!).toISOString(), '2026-06-16T01:00:00.000Z', '03:00 CEST is 01:00 UTC');
  const utc = parseCron('c', '0 3 * * *', 'UTC');
  assert.is(new Date(nextFiring(utc, t, t)!).toISOString(), '2026-06-16T03:00:00.000Z');
  const secs = parseCron('c', '*/2 * * * * *', 'UTC');
  assert.is(nextFiring(secs, t, t), t + 2000);
});

test('concurrency policies and schedule names', () => {
  assert.is(parseConcurrency('--concurrency', ''), 'allow');
  assert.is(parseConcurrency('--concurrency', 'FORBID'), 'forbid');
  assert.is(parseConcurrency('--concurrency', 'replace'), 'replace');
  assert.throws(() => parseConcurrency('--concurrency', 'sometimes'), /'sometimes' is not a concurrency policy; use allow \(start anyway\), forbid/);
  assert.is(checkScheduleName('--name', 'nightly-backup.v2'), 'nightly-backup.v2');
  assert.is(checkScheduleName('--name', ''), '');
  assert.throws(() => checkScheduleName('--name', '-x'), /not a valid schedule name/);
  assert.throws(() => checkScheduleName('--name', 'a b'), /not a valid schedule name/);
});

test('missed firings after downtime are counted, with the latest and the next one; counting is bounded', () => {
  const t = Date.parse('2026-06-15T12:00:00Z');
  const every = parseCron('c', '@every 10s', '');
  const m = countMisses(every, t + 10_000, t + 45_000, t);
  assert.equal(m, { missed: 4, latest: t + 40_000, next: t + 50_000, capped: false });
  const fast = parseCron('c', '@every 1s', '');
  const year = countMisses(fast, t + 1000, t + 365 * 86_400_000, t);
  assert.is(year.missed, MAX_COUNTED_MISSES);
  assert.ok(year.capped);
  assert.is(year.next, t + 365 * 86_400_000 + 1000);
});

test.run();
