/** Schedules as ScheduleService and RunJobResponse carry them. */
import type { Schedule } from '../../gen/joblet';
import type { ScheduleView } from '../schedule/manager';

const iso = (ms: number | undefined) => (ms === undefined ? '' : new Date(ms).toISOString());

/** A schedule on the wire. */
export function toSchedule(v: ScheduleView): Schedule {
  const r = v.record;
  return {
    id: r.id,
    name: r.name,
    cron: r.cron,
    timezone: r.timezone,
    concurrency: r.concurrency,
    paused: r.paused,
    nextRunTime: iso(r.nextRunAt),
    lastRunTime: iso(r.lastRunAt),
    lastJobUuid: r.lastRef ?? '',
    lastStatus: v.lastStatus,
    command: r.target.kind === 'job' ? r.target.command : '',
    args: r.target.kind === 'job' ? r.target.args : [],
    owner: r.owner,
    createdTime: iso(r.createdAt),
    runs: r.runs,
    skipped: r.skipped,
    missed: r.missed,
    events: r.events.map((e) => ({ time: iso(e.at), message: e.text })),
    kind: r.target.kind,
    workflow: r.target.kind === 'workflow' ? r.target.name : '',
  };
}
