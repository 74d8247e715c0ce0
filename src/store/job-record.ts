/**
 * The job as the daemon stores it. One record per job, kept in SQLite (db.ts); its output lives
 * in a framed log file (log-file.ts).
 */

import type { JobStatus } from '../shared/job-status';

/** Life-cycle states (src/daemon/jobs/lifecycle.ts says which may follow which). */
export { TERMINAL_STATUSES, isTerminal, type JobStatus } from '../shared/job-status';

/** Everything the daemon remembers about a job. Times are Unix milliseconds. */
export interface JobRecord {
  id: string;
  command: string;
  args: string[];
  /** Environment the user asked for with --env (the sandbox adds PATH, HOME, ...). */
  env: Record<string, string>;
  workdir: string;
  status: JobStatus;
  createdAt: number;
  startedAt?: number;
  endedAt?: number;
  exitCode?: number;
  /** Signal name when the job was killed by a signal. */
  signal?: string;
  /** Why the job failed or was stopped, for humans. */
  failureReason?: string;
  /** Paths of uploaded files, relative to /work. */
  uploads: string[];
  /** CN of the client certificate that started the job. */
  owner: string;
  /** The stored output was cut at the server's cap. */
  outputTruncated: boolean;
  /** Names of the volumes mounted at /volumes/NAME (absent in records from before volumes existed). */
  volumes: string[];
  /** Limits in force (bytes, percent, ms; 0 / '' = not limited). */
  limits: JobLimitsRecord;
  /** What the job used, read from its cgroup when it ended (live values while it runs). */
  usage?: JobUsageRecord;
  /** Network the job runs on (none, isolated, bridge or a custom name); absent in records older than networks: none. */
  network?: string;
  /** Runtime in place of the host's /usr, as NAME@VERSION; absent: the host's /usr. */
  runtime?: string;
  /** When each state began, oldest first (absent in records older than the lifecycle: derive from the times). */
  history?: StateEntry[];
  /** When a scheduled job is due (Unix ms); absent for jobs that ran at once. */
  scheduledAt?: number;
  /** The recurring schedule that started this job. */
  scheduleId?: string;
  /** That schedule's name at the time ('' when it had none). */
  scheduleName?: string;
  /** Uploads kept on disk until the job starts (scheduled jobs; the workspace is RAM and made at start). */
  staged?: StagedUploads;
  /** The job's name: its name in its workflow, or the name RunJob gave it. */
  name?: string;
  /** The workflow the job belongs to, and which attempt of its workflow job it is (1 = first). */
  workflowId?: string;
  attempt?: number;
  /** Names of the jobs it waits for, and its requirements as written (workflow jobs). */
  dependencies?: string[];
  requirements?: string[];
  /** secret_environment: given to the process, never shown (values are masked on the wire). */
  secretEnv?: Record<string, string>;
}

/** One entry of a job's state history. */
export interface StateEntry {
  status: JobStatus;
  /** Unix ms. */
  at: number;
}

/** Uploads stored on disk for a job that starts later: where, and what its workspace must hold. */
export interface StagedUploads {
  /** Id of the staging directory under <stateDir>/staged (the scheduled job's or the schedule's id). */
  key: string;
  bytes: number;
  entries: number;
}

/** Limits as stored with a job. */
export interface JobLimitsRecord {
  cpuPercent: number;
  cpuCores: string;
  memoryBytes: number;
  ioBps: number;
  pids: number;
  diskBytes: number;
  timeoutMs: number;
}

/** Resource usage as stored with a job. */
export interface JobUsageRecord {
  cpuSeconds: number;
  memoryPeakBytes: number;
  oomKills: number;
}
