/** Firings a schedule missed while the daemon was down: counted, never replayed one by one. */
import { nextFiring, type CronSpec } from '../../shared/cron';

/** Counting stops here (an `@every 1s` schedule down for a year would otherwise loop for long). */
export const MAX_COUNTED_MISSES = 10_000;

/** What was missed between the firing due at `from` and `now`. */
export interface Misses {
  /** Firings due at or before now, from `from` on. */
  missed: number;
  /** The latest of them. */
  latest: number;
  /** The first firing after now (null: never again). */
  next: number | null;
  /** True when counting stopped at MAX_COUNTED_MISSES. */
  capped: boolean;
}

/** Count the firings from `from` (a due time ≤ now) up to `now`; `anchor` is where `@every` counts from. */
export function countMisses(spec: CronSpec, from: number, now: number, anchor: number): Misses {
  let missed = 0;
  let latest = from;
  let t: number | null = from;
  while (t !== null && t <= now && missed < MAX_COUNTED_MISSES) {
    missed++;
    latest = t;
    t = nextFiring(spec, t, anchor);
  }
  const capped = missed >= MAX_COUNTED_MISSES;
  // After a capped count, the next firing is the first one after now, not the next uncounted one.
  if (capped) t = nextFiring(spec, now, anchor);
  return { missed, latest, next: t, capped };
}
