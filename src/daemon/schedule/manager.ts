/**
 * Recurring schedules: durable records (ScheduleStore), one timer entry each (TimerQueue), and a
 * target runner per kind of target that starts what a firing asks for — a job today (job-target.ts),
 * a workflow later. The concurrency policy decides what a firing does while the previous run is
 * still going: allow (start anyway), forbid (skip, and note it) or replace (stop it, then start).
 * After a restart, missed firings are neither replayed nor skipped silently: they are counted and
 * noted, and the schedule fires once if the latest was missed by at most the misfire grace.
 */
import { AlreadyExistsError, InvalidArgumentError, JobletError, NotFoundError, describeError } from '../../shared/errors';
import { nextFiring, parseCron, type CronSpec } from '../../shared/cron';
import { printable } from '../../shared/ids';
import { isTerminal } from '../../shared/job-status';
import type { ScheduleStore } from '../../store/schedule-store';
import type { ScheduleRecord, ScheduleTarget } from '../../store/schedule-record';
import type { JobRequest, RecurringRequest } from '../jobs/validate';
import { removeStaged } from '../jobs/staging';
import type { StateChange } from '../jobs/lifecycle';
import type { TimerQueue } from './timers';
import { countMisses } from './misfire';

/** Starts and watches what a schedule fires, for one kind of target. */
export interface ScheduleTargetRunner {
  /** Start one run for a firing; returns its reference (a job id). Throws when it cannot start. */
  start(s: ScheduleRecord): string;
  /** Current state of run `ref`, or undefined when it no longer exists. */
  status(ref: string): string | undefined;
  /** Stop run `ref`; resolves once it has ended. */
  stop(ref: string, by: string): Promise<void>;
  /** The schedule was removed: release what its target holds (e.g. staged uploads of its own). */
  removed?(s: ScheduleRecord): void;
}

/** Settings of the scheduler. */
export interface ScheduleSettings {
  /** Where staged uploads live (schedules own theirs). */
  stateDir: string;
  /** A firing missed while the daemon was down still runs (once) when at most this late. */
  misfireGraceSeconds: number;
  /** Most schedules at once. */
  maxSchedules: number;
}

/** A schedule and the live state of its last run. */
export interface ScheduleView {
  record: ScheduleRecord;
  lastStatus: string;
}

const MAX_EVENTS = 20;

/** Owns every recurring schedule of this daemon. */
export class ScheduleManager {
  private readonly specs = new Map<string, CronSpec>();
  private readonly now: () => number;
  private started = false;

  constructor(
    private readonly s: ScheduleSettings,
    private readonly deps: {
      store: ScheduleStore;
      timers: TimerQueue;
      targets: Record<string, ScheduleTargetRunner>;
      log: (msg: string) => void;
      now?: () => number;
    },
  ) {
    this.now = deps.now ?? Date.now;
  }

  /** Ids of every schedule (their staged uploads must be kept). */
  ids(): Set<string> {
    return new Set(this.deps.store.list().map((r) => r.id));
  }

  /** Arm every active schedule; handle firings missed while the daemon was down. */
  start(): void {
    this.started = true;
    const now = this.now();
    for (const rec of this.deps.store.list()) {
      if (rec.paused) continue;
      try {
        this.resume(rec, now);
      } catch (err) {
        this.deps.log(`schedule ${label(rec)}: cannot resume: ${describeError(err)}`);
      }
    }
  }

  private resume(rec: ScheduleRecord, now: number): void {
    const spec = this.spec(rec);
    if (rec.nextRunAt === undefined || rec.nextRunAt > now) return this.arm(rec.id, rec.nextRunAt ?? nextFiring(spec, now, rec.createdAt));
    const { missed, latest, next: t, capped } = countMisses(spec, rec.nextRunAt, now, rec.createdAt);
    const span = `${capped ? 'more than ' : ''}${missed} firing${missed === 1 ? '' : 's'} (${iso(rec.nextRunAt)}${missed > 1 ? ` to ${iso(latest)}` : ''})`;
    const runNow = now - latest <= this.s.misfireGraceSeconds * 1000;
    this.update(rec.id, (r) => {
      r.missed += missed;
      note(r, now, `the daemon was down: missed ${span}; ${runNow ? 'ran once at start-up' : `none ran: the latest was more than ${this.s.misfireGraceSeconds} s ago (scheduling.misfireGraceSeconds)`}`);
    });
    this.deps.log(`schedule ${label(rec)}: missed ${span} while the daemon was down${runNow ? '; running once now' : ''}`);
    if (runNow) this.arm(rec.id, now, latest);
    else this.arm(rec.id, t ?? nextFiring(spec, now, rec.createdAt));
  }

  /** Stop firing (daemon shutdown); records stay for the next start. */
  stop(): void {
    this.started = false;
    for (const rec of this.deps.store.list()) this.deps.timers.delete(key(rec.id));
  }

  /** Refuse a new schedule before its uploads arrive: too many, or a taken name. */
  admit(req: Pick<JobRequest, 'recurring'>): void {
    if (!req.recurring) return;
    if (this.deps.store.count() >= this.s.maxSchedules) {
      throw new JobletError('RESOURCE_EXHAUSTED', `this server already has ${this.s.maxSchedules} schedules (scheduling.maxSchedules); remove some ('rnx schedule remove NAME')`);
    }
    const name = req.recurring.name;
    if (name && this.deps.store.byName(name)) throw new AlreadyExistsError(`a schedule named '${name}' exists already; pick another --name or remove it ('rnx schedule remove ${name}')`);
  }

  /** Store a schedule for a checked request whose uploads are staged under `id`; arm it. */
  create(id: string, req: JobRequest, staged: { bytes: number; entries: number }, uploads: string[], owner: string): ScheduleRecord {
    const r = req.recurring;
    if (!r) throw new InvalidArgumentError('not a recurring schedule: cron is missing');
    const target: ScheduleTarget = { kind: 'job', command: req.command, args: req.args, env: req.env, workdir: req.workdir, limits: req.limits, network: req.network, volumes: req.volumes, ...(req.runtime ? { runtime: req.runtime } : {}), uploads, staged: { key: id, ...staged } };
    return this.add(id, r, target, owner);
  }

  /** Store a schedule of any kind of target (checked by its owner) and arm it. */
  add(id: string, r: RecurringRequest, target: ScheduleTarget, owner: string): ScheduleRecord {
    this.admit({ recurring: r });
    const now = this.now();
    const rec: ScheduleRecord = {
      id,
      name: r.name,
      cron: r.cron.expr,
      timezone: r.cron.timezone,
      concurrency: r.concurrency,
      paused: false,
      createdAt: now,
      owner,
      target,
      runs: 0,
      skipped: 0,
      missed: 0,
      events: [],
    };
    this.specs.set(id, r.cron);
    rec.nextRunAt = nextFiring(r.cron, now, now) ?? undefined;
    this.deps.store.put(rec);
    if (this.started) this.arm(id, rec.nextRunAt ?? null);
    return rec;
  }

  /** Every schedule, oldest first, with the live state of its last run. */
  list(): ScheduleView[] {
    return this.deps.store.list().map((r) => this.view(r));
  }

  /** One schedule by name, id or unique id prefix. */
  get(ref: string): ScheduleView {
    return this.view(this.find(ref));
  }

  /** Stop firing until resumed. */
  pause(ref: string): ScheduleView {
    const rec = this.find(ref);
    this.deps.timers.delete(key(rec.id));
    return this.view(this.update(rec.id, (r) => {
      r.paused = true;
      r.nextRunAt = undefined;
    })!);
  }

  /** Fire again from the next time the expression gives (missed firings are not caught up). */
  resumeSchedule(ref: string): ScheduleView {
    const rec = this.find(ref);
    if (!rec.paused) return this.view(rec);
    const next = nextFiring(this.spec(rec), this.now(), rec.createdAt);
    const after = this.update(rec.id, (r) => {
      r.paused = false;
      r.nextRunAt = next ?? undefined;
    })!;
    if (this.started) this.arm(rec.id, next);
    return this.view(after);
  }

  /** Remove a schedule (jobs it started keep running); returns its id. */
  remove(ref: string): string {
    const rec = this.find(ref);
    this.deps.timers.delete(key(rec.id));
    this.deps.store.delete(rec.id);
    this.specs.delete(rec.id);
    try {
      this.deps.targets[rec.target.kind]?.removed?.(rec);
    } catch (err) {
      this.deps.log(`schedule ${label(rec)}: releasing its target: ${describeError(err)}`);
    }
    try {
      removeStaged(this.s.stateDir, rec.id);
    } catch (err) {
      this.deps.log(`schedule ${label(rec)}: staged uploads clean-up: ${describeError(err)}`);
    }
    return rec.id;
  }

  /** Lifecycle listener: remember how the last run of a schedule ended. */
  onJobChange(c: StateChange): void {
    const sid = c.job.scheduleId;
    if (!sid || !isTerminal(c.to)) return;
    this.update(sid, (r) => {
      if (r.lastRef === c.job.id) r.lastStatus = c.to;
    });
  }

  private find(ref: string): ScheduleRecord {
    const t = ref.trim();
    if (!t) throw new InvalidArgumentError("a schedule name or id is required (see 'rnx schedule list')");
    const byName = this.deps.store.byName(t) ?? this.deps.store.get(t.toLowerCase());
    if (byName) return byName;
    if (/^[0-9a-f-]{4,36}$/i.test(t)) {
      const ids = this.deps.store.idsWithPrefix(t.toLowerCase(), 3);
      if (ids.length === 1) return this.deps.store.get(ids[0]!)!;
      if (ids.length > 1) throw new InvalidArgumentError(`schedule id '${t}' is ambiguous; give more characters or the name`);
    }
    throw new NotFoundError(`schedule '${printable(t)}' not found (see 'rnx schedule list')`);
  }

  private view(record: ScheduleRecord): ScheduleView {
    const live = record.lastRef ? this.deps.targets[record.target.kind]?.status(record.lastRef) : undefined;
    return { record, lastStatus: live ?? record.lastStatus ?? '' };
  }

  private spec(rec: ScheduleRecord): CronSpec {
    let spec = this.specs.get(rec.id);
    if (!spec) {
      spec = parseCron('cron', rec.cron, rec.timezone);
      this.specs.set(rec.id, spec);
    }
    return spec;
  }

  /** Arm the next firing at `at` (null: never again); `due` is the firing it stands for. */
  private arm(id: string, at: number | null, due = at ?? 0): void {
    if (at === null) {
      this.update(id, (r) => void (r.nextRunAt = undefined));
      return;
    }
    this.deps.timers.set(key(id), at, () => this.fire(id, due));
  }

  private fire(id: string, due: number): void {
    const rec = this.deps.store.get(id);
    if (!rec || rec.paused || !this.started) return;
    // The next firing first, so that nothing below can stop the schedule.
    const next = nextFiring(this.spec(rec), Math.max(due, this.now()), rec.createdAt);
    this.update(id, (r) => void (r.nextRunAt = next ?? undefined));
    this.arm(id, next);
    void this.runFiring(id, due).catch((err) => this.deps.log(`schedule ${label(rec)}: firing of ${iso(due)} failed: ${describeError(err)}`));
  }

  private async runFiring(id: string, due: number): Promise<void> {
    let rec = this.deps.store.get(id);
    if (!rec) return;
    const target = this.deps.targets[rec.target.kind];
    if (!target) throw new Error(`no runner for targets of kind '${rec.target.kind}'`);
    const last = rec.lastRef;
    const lastStatus = last ? target.status(last) : undefined;
    if (last && lastStatus && !isTerminal(lastStatus)) {
      if (rec.concurrency === 'forbid') {
        this.update(id, (r) => {
          r.skipped++;
          note(r, this.now(), `skipped the firing of ${iso(due)}: job ${last} is still ${lastStatus} (concurrency forbid)`);
        });
        return;
      }
      if (rec.concurrency === 'replace') {
        const name = label(rec);
        this.update(id, (r) => note(r, this.now(), `stopping job ${last} (${lastStatus}) for the firing of ${iso(due)} (concurrency replace)`));
        await target.stop(last, `schedule ${name} (concurrency replace)`).catch((err) => this.deps.log(`schedule ${name}: stopping job ${last}: ${describeError(err)}`));
        rec = this.deps.store.get(id);
        if (!rec || rec.paused || !this.started) return; // removed, paused or shut down meanwhile
      }
    }
    try {
      const ref = target.start(rec);
      this.update(id, (r) => {
        r.lastRef = ref;
        r.lastRunAt = this.now();
        r.lastStatus = target.status(ref);
        r.runs++;
      });
    } catch (err) {
      this.update(id, (r) => note(r, this.now(), `could not start a job for the firing of ${iso(due)}: ${describeError(err)}`));
      this.deps.log(`schedule ${label(rec)}: could not start a job: ${describeError(err)}`);
    }
  }

  /** Read, change and write one record (synchronous: no other change can interleave). */
  private update(id: string, fn: (r: ScheduleRecord) => void): ScheduleRecord | undefined {
    const r = this.deps.store.get(id);
    if (!r) return undefined;
    fn(r);
    try {
      this.deps.store.put(r);
    } catch (err) {
      this.deps.log(`schedule ${label(r)}: cannot store its record: ${describeError(err)}`);
    }
    return r;
  }
}

function key(id: string): string {
  return `schedule:${id}`;
}

function label(r: ScheduleRecord): string {
  return r.name ? `${r.name} (${r.id.slice(0, 8)})` : r.id;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function note(r: ScheduleRecord, at: number, text: string): void {
  r.events.push({ at, text });
  if (r.events.length > MAX_EVENTS) r.events.splice(0, r.events.length - MAX_EVENTS);
}
