/**
 * Human and JSON renderings of schedules and scheduled jobs, shared by `rnx run` and the
 * `rnx schedule` commands. The JSON shape is stable and documented in README.md.
 */
import type { Job, Schedule } from '../gen/joblet';
import { timeUntil } from '../shared/schedule';
import { commandLine, localTime, nullTime } from './format';

/** A schedule as rnx prints it with --json. */
export interface ScheduleJson {
  id: string;
  name: string;
  cron: string;
  timezone: string;
  concurrency: string;
  paused: boolean;
  /** RFC 3339; null while paused or when it never fires again. */
  nextRunTime: string | null;
  /** RFC 3339; null before the first firing. */
  lastRunTime: string | null;
  lastJobId: string;
  lastStatus: string;
  command: string;
  args: string[];
  owner: string;
  createdTime: string | null;
  runs: number;
  skipped: number;
  missed: number;
  events: { time: string; message: string }[];
  /** What each firing starts: "job" (command, args) or "workflow" (the workflow named in `workflow`). */
  kind: string;
  workflow: string;
}

/** The stable JSON form of a schedule. */
export function scheduleJson(s: Schedule): ScheduleJson {
  return {
    id: s.id,
    name: s.name,
    cron: s.cron,
    timezone: s.timezone,
    concurrency: s.concurrency,
    paused: s.paused,
    nextRunTime: nullTime(s.nextRunTime),
    lastRunTime: nullTime(s.lastRunTime),
    lastJobId: s.lastJobUuid,
    lastStatus: s.lastStatus,
    command: s.command,
    args: s.args,
    owner: s.owner,
    createdTime: nullTime(s.createdTime),
    runs: s.runs,
    skipped: s.skipped,
    missed: s.missed,
    events: s.events.map((e) => ({ time: e.time, message: e.message })),
    kind: s.kind || 'job',
    workflow: s.workflow,
  };
}

/** "2026-12-02 11:00:00 (2026-12-02T10:00:00Z UTC)". */
export function localAndUtc(rfc3339: string): string {
  if (!rfc3339) return 'N/A';
  return `${localTime(rfc3339)} (${new Date(rfc3339).toISOString().replace('.000Z', 'Z')} UTC)`;
}

/** What `rnx run --schedule` prints. */
export function reportScheduledJob(job: Job, out: (line: string) => void): void {
  out(`ID: ${job.uuid}`);
  out(`Command: ${commandLine(job.command, job.args)}`);
  out(`Status: ${job.status}`);
  out(`Scheduled Time: ${localAndUtc(job.scheduledTime)}`);
  out(`Runs: ${timeUntil(new Date(job.scheduledTime))}`);
}

/** What `rnx run --cron` and `rnx schedule pause|resume` print. */
export function reportSchedule(s: Schedule, out: (line: string) => void): void {
  out(`Schedule: ${s.name || '(unnamed)'}`);
  out(`ID: ${s.id}`);
  out(`Cron: ${s.cron}`);
  out(`Time Zone: ${s.timezone || 'server local'}`);
  out(`Concurrency: ${s.concurrency}`);
  if (s.kind === 'workflow') out(`Workflow: ${s.workflow}`);
  else out(`Command: ${commandLine(s.command, s.args)}`);
  out(`Next Run: ${s.paused ? 'paused' : s.nextRunTime ? `${localAndUtc(s.nextRunTime)}, ${timeUntil(new Date(s.nextRunTime))}` : 'never'}`);
}

/** NAME/ID column: the name, or the first 8 characters of the id. */
export function scheduleLabel(s: Schedule): string {
  return s.name || s.id.slice(0, 8);
}
