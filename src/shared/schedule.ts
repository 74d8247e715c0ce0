/**
 * One-shot schedules as users write them (`rnx run --schedule=…`), shared by rnx (which resolves
 * them to an absolute time in the client's zone before sending) and the daemon (which must accept
 * the forms the official SDK sends and never trusts a client).
 *
 * Accepted: durations summed over units s, m, h, d (`30s`, `1h30m`, `2h30m` = 150 minutes, `1d`),
 * optionally prefixed with `+`; RFC3339 times with a zone (`2026-12-02T10:00:00Z`, `…+01:00`);
 * the same without a zone (`2026-12-02T10:00:00`, `2026-12-02 10:00`), read in the local zone of
 * the process that parses it; and `HH:MM[:SS]`, the next occurrence in the local zone.
 */
import { InvalidArgumentError } from './errors';
import { printable } from './ids';

/** Furthest ahead a job may be scheduled. */
export const MAX_SCHEDULE_AHEAD_MS = 365 * 24 * 3600_000;
/** How far in the past a schedule time may be (clock skew, slow uploads); it then runs at once. */
export const MAX_SCHEDULE_PAST_MS = 30_000;

const UNIT_MS: Record<string, number> = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 };

const FORMS = 'a duration (30s, 5m, 1h30m, 1d), a time (2026-12-02T10:00:00+01:00, 2026-12-02T10:00:00Z, or 2026-12-02T10:00:00 in local time) or HH:MM';

/** "1h30m" → 5400000; undefined when the text is not a duration. Units s, m, h, d, summed. */
export function parseScheduleDuration(text: string): number | undefined {
  const t = text.trim();
  if (!/^(\d{1,9}[dhms])+$/.test(t)) return undefined;
  let ms = 0;
  for (const m of t.matchAll(/(\d+)([dhms])/g)) ms += Number(m[1]) * UNIT_MS[m[2]!]!;
  return ms;
}

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/** Parse a date-time; without a zone it is read in the local zone. Undefined when not a date-time. */
function parseDateTime(flag: string, text: string): Date | undefined {
  const m = DATE_TIME.exec(text.trim());
  if (!m) return undefined;
  const [y, mo, d, h, mi] = [m[1], m[2], m[3], m[4], m[5]].map(Number) as [number, number, number, number, number];
  const s = Number(m[6] ?? 0);
  const ms = m[7] ? Math.floor(Number(`0${m[7]}`) * 1000) : 0;
  const days = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  if (mo < 1 || mo > 12 || d < 1 || d > days || h > 23 || mi > 59 || s > 59) {
    throw new InvalidArgumentError(`${flag}: '${printable(text)}' is not a valid date and time`);
  }
  const zone = m[8];
  if (!zone) return new Date(y, mo - 1, d, h, mi, s, ms);
  let offsetMin = 0;
  if (zone.toUpperCase() !== 'Z') {
    const z = zone.replace(':', '');
    const oh = Number(z.slice(1, 3));
    const om = Number(z.slice(3, 5));
    if (oh > 23 || om > 59) throw new InvalidArgumentError(`${flag}: '${printable(text)}' has an invalid zone offset ${zone}`);
    offsetMin = (z[0] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  return new Date(Date.UTC(y, mo - 1, d, h, mi, s, ms) - offsetMin * 60_000);
}

/** "HH:MM[:SS]" → its next occurrence (today or tomorrow) in the local zone. */
function parseClock(flag: string, text: string, now: Date): Date | undefined {
  const m = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(text.trim());
  if (!m) return undefined;
  const [h, mi, s] = [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
  if (h > 23 || mi > 59 || s > 59) throw new InvalidArgumentError(`${flag}: '${printable(text)}' is not a time of day; use HH:MM from 00:00 to 23:59`);
  const at = new Date(now.getFullYear(), now.getMonth(), now.getDate(), h, mi, s, 0);
  if (at.getTime() <= now.getTime()) at.setDate(at.getDate() + 1);
  return at;
}

/**
 * Resolve a schedule spec to an absolute time and check the window: at most one year ahead, at
 * most 30 s in the past. Throws InvalidArgumentError naming the flag (or field) and the limit.
 */
export function parseSchedule(flag: string, text: string, now = new Date()): Date {
  const t = text.trim();
  if (!t) throw new InvalidArgumentError(`${flag} is empty; give ${FORMS}`);
  if (t.length > 64) throw new InvalidArgumentError(`${flag}: '${printable(t)}' is too long; give ${FORMS}`);
  const rel = parseScheduleDuration(t.startsWith('+') ? t.slice(1) : t);
  let at: Date | undefined;
  if (rel !== undefined) {
    if (rel > MAX_SCHEDULE_AHEAD_MS) throw new InvalidArgumentError(`${flag}: ${t} is more than 1 year ahead; the limit is 365 days`);
    at = new Date(now.getTime() + rel);
  } else {
    at = parseDateTime(flag, t) ?? parseClock(flag, t, now);
  }
  if (!at) throw new InvalidArgumentError(`${flag}: '${printable(t)}' is not a schedule; give ${FORMS}`);
  checkScheduleWindow(flag, t, at, now);
  return at;
}

/** Refuse times more than 30 s in the past or more than one year ahead. */
export function checkScheduleWindow(flag: string, text: string, at: Date, now: Date): void {
  const delta = at.getTime() - now.getTime();
  if (delta < -MAX_SCHEDULE_PAST_MS) {
    throw new InvalidArgumentError(`${flag}: ${printable(text)} (${at.toISOString()}) is in the past; a schedule may be at most 30 s in the past (it then runs at once)`);
  }
  if (delta > MAX_SCHEDULE_AHEAD_MS) {
    throw new InvalidArgumentError(`${flag}: ${printable(text)} (${at.toISOString()}) is more than 1 year ahead; the limit is 365 days`);
  }
}

/** RFC3339 in the local zone with its offset, e.g. "2026-12-02T10:00:00.250+01:00" (ms only when not 0). */
export function localRfc3339(d: Date): string {
  const p = (n: number, w = 2) => String(Math.abs(n)).padStart(w, '0');
  const off = -d.getTimezoneOffset();
  const zone = `${off >= 0 ? '+' : '-'}${p(Math.floor(Math.abs(off) / 60))}:${p(Math.abs(off) % 60)}`;
  const ms = d.getMilliseconds() ? `.${p(d.getMilliseconds(), 3)}` : '';
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}${ms}${zone}`;
}

/** "in 1h 05m", "in 12s", "now" — how long until `at`. */
export function timeUntil(at: Date, now = new Date()): string {
  const s = Math.round((at.getTime() - now.getTime()) / 1000);
  if (s <= 0) return 'now';
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const parts = d ? [`${d}d`, `${h}h`] : h ? [`${h}h`, `${String(m).padStart(2, '0')}m`] : m ? [`${m}m`, `${String(sec).padStart(2, '0')}s`] : [`${sec}s`];
  return `in ${parts.join(' ')}`;
}

/** A stop's grace period: "0s", "500ms", "30s", "1m30s" (0 = kill at once); ms, at most one hour. */
export function parseGrace(flag: string, text: string): number {
  const t = text.trim();
  if (!/^(\d{1,9}(ms|s|m|h))+$/.test(t) && t !== '0') throw new InvalidArgumentError(`${flag}: '${printable(text)}' is not a duration; use e.g. 0s, 10s or 1m30s`);
  let ms = 0;
  for (const m of t.matchAll(/(\d+)(ms|s|m|h)/g)) ms += Number(m[1]) * ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as Record<string, number>)[m[2]!]!;
  if (ms > 3_600_000) throw new InvalidArgumentError(`${flag}: ${t} is too long; at most 1h`);
  return ms;
}
