/**
 * A recurring schedule as the daemon stores it (table `schedules`, db.ts). The target says what a
 * firing starts: a job from a stored request today; other kinds (workflows) add their own.
 */
import type { Concurrency } from '../shared/cron';
import type { JobLimitsRecord, StagedUploads } from './job-record';
import type { PreparedWorkflow } from './workflow-record';

/** The job a schedule starts at each firing: the validated request, stored once. */
export interface JobTarget {
  kind: 'job';
  command: string;
  args: string[];
  env: Record<string, string>;
  workdir: string;
  limits: JobLimitsRecord;
  network: string;
  volumes: string[];
  /** Runtime as NAME@VERSION, resolved when the schedule was made; absent: the host's /usr (and in records older than runtimes). */
  runtime?: string;
  /** Paths of the uploads (relative to /work), stored once under <stateDir>/staged/<schedule id>. */
  uploads: string[];
  staged?: StagedUploads;
}

/**
 * The workflow a schedule starts at each firing: the workflow as prepared when the schedule was
 * made (its jobs' uploads are staged once and shared by every run), and the environment given then.
 */
export interface WorkflowTarget extends PreparedWorkflow {
  kind: 'workflow';
}

/** What a schedule fires. */
export type ScheduleTarget = JobTarget | WorkflowTarget;

/** One note in a schedule's history (a skip, a miss, a failure to start). */
export interface ScheduleEventRecord {
  at: number;
  text: string;
}

/** Everything the daemon remembers about a schedule. Times are Unix milliseconds. */
export interface ScheduleRecord {
  id: string;
  /** Unique when not ''. */
  name: string;
  cron: string;
  /** IANA zone; '' = the server's local zone. */
  timezone: string;
  concurrency: Concurrency;
  paused: boolean;
  createdAt: number;
  owner: string;
  target: ScheduleTarget;
  /** When it fires next (absent while paused or when it never fires again). */
  nextRunAt?: number;
  lastRunAt?: number;
  /** What the last firing started (a job id). */
  lastRef?: string;
  /** Its state when last seen (the live state is shown while it exists). */
  lastStatus?: string;
  runs: number;
  skipped: number;
  missed: number;
  /** Recent notes, oldest first (bounded). */
  events: ScheduleEventRecord[];
}
