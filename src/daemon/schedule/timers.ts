/**
 * One timer for every future firing of the daemon (scheduled jobs, recurring schedules, and any
 * later kind of target): entries are keyed, the earliest one arms a single setTimeout, and a
 * firing calls the entry's function. Node's setTimeout takes at most 2^31-1 ms (24.8 days), so a
 * far entry re-arms on the way. A throwing target is logged and never stops the others.
 */

const MAX_DELAY = 2 ** 31 - 1;

/** A function fired at a time; `due` is the time it was due (Unix ms). */
export type Fire = (due: number) => void;

/** The daemon's timer queue. */
export class TimerQueue {
  private readonly entries = new Map<string, { at: number; fire: Fire }>();
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly log: (msg: string) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** Fire `fire` at `at` (Unix ms); replaces an entry with the same key. Past times fire on the next tick. */
  set(key: string, at: number, fire: Fire): void {
    if (this.stopped) return;
    this.entries.set(key, { at, fire });
    this.arm();
  }

  /** Forget an entry; true when there was one. */
  delete(key: string): boolean {
    const had = this.entries.delete(key);
    if (had) this.arm();
    return had;
  }

  /** When `key` fires, or undefined. */
  at(key: string): number | undefined {
    return this.entries.get(key)?.at;
  }

  /** Number of pending entries. */
  get size(): number {
    return this.entries.size;
  }

  /** Stop firing anything (daemon shutdown); entries are dropped. */
  stop(): void {
    this.stopped = true;
    this.entries.clear();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    let first = Infinity;
    for (const e of this.entries.values()) if (e.at < first) first = e.at;
    if (first === Infinity) return;
    const delay = Math.min(MAX_DELAY, Math.max(0, first - this.now()));
    // Unref'd: a pending schedule alone must not keep a stopping daemon alive.
    this.timer = setTimeout(() => this.tick(), delay).unref();
  }

  private tick(): void {
    this.timer = undefined;
    const now = this.now();
    // Timers may fire a millisecond early (rounding); treat that as due.
    const due = [...this.entries].filter(([, e]) => e.at <= now + 1).sort((a, b) => a[1].at - b[1].at);
    for (const [key] of due) this.entries.delete(key);
    for (const [key, e] of due) {
      try {
        e.fire(e.at);
      } catch (err) {
        this.log(`timer ${key} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      }
    }
    if (!this.stopped) this.arm();
  }
}
