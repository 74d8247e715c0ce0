/**
 * The contracts around the job manager: what it needs from the outside world (ManagerDeps, which
 * tests substitute to inject faults) and what a feature plugs in per job (JobResource).
 */
import type { CgroupManager } from '../../sandbox/cgroups/manager';
import type { JobSpec } from '../../sandbox/spec';
import type { SandboxProcess } from '../../sandbox/spawn';
import type { JobStore } from '../../store/db';
import type { JobRecord, StagedUploads } from '../../store/job-record';
import type { LogPosition, LogWriter } from '../../store/log-file';
import type { TimerQueue } from '../schedule/timers';
import type { JobStatus } from '../../shared/job-status';
import type { RetentionPolicy } from './recovery';
import type { SpecSettings } from './sandbox-spec';
import type { WorkspaceWriter } from './uploads';
import type { JobRequest, ValidationContext } from './validate';
import type { WorkspaceQuota } from './workspace';

/**
 * Something a job uses while it runs (a network attachment, volumes): acquired before the sandbox
 * is spawned, released after every process of the job is gone — also when the job fails to start
 * or is stopped during setup (a late acquire is released as soon as it completes).
 */
export interface JobResource {
  /** Name for error messages, e.g. "network". */
  readonly name: string;
  /** Check and complete what a validated request asks of this resource (e.g. the default network); throws to refuse before anything is created. */
  admit?(req: JobRequest): JobRequest;
  /** Prepare what `job` asked for; return changes to its sandbox spec and how to undo them. */
  acquire(job: JobRecord): Promise<{ spec?: Partial<JobSpec>; release(): Promise<void> }>;
}

/** Creating and removing a job's host-side directory (tests use plain directories, no mount). */
export interface WorkspaceOps {
  create(dir: string, quota: WorkspaceQuota, uid: number, gid: number): void;
  remove(dir: string): void;
}

/** What the manager needs from the outside world (tests substitute parts). */
export interface ManagerDeps {
  store: JobStore;
  cgroups: CgroupManager;
  /**
   * Starts the sandbox; may wait for a start slot (the warm pool limits how many inits start at
   * once), and gives up waiting when `abort` fires.
   */
  spawn: (spec: JobSpec, abort?: AbortSignal) => SandboxProcess | Promise<SandboxProcess>;
  log: (msg: string) => void;
  /** Acquired in order before each job starts, released in reverse order after it ends. */
  resources?: JobResource[];
  /** Workspace directories; default: a sized tmpfs (workspace.ts). */
  workspaces?: WorkspaceOps;
  /**
   * Opens a job's log; default: LogWriter on the file. `onAppend` may return a promise: the job's
   * output pauses until it settles (a live follower catching up).
   */
  openLog?: (file: string, maxBytes: number, onAppend: (pos: LogPosition) => void | Promise<void>, headBytes?: number) => LogWriter;
  /** The daemon's timer queue for scheduled jobs; default: one of the manager's own. */
  timers?: TimerQueue;
  /** Whether a process has a SIGTERM handler; default: SigCgt in /proc/PID/status. */
  catchesSigterm?: (pid: number) => boolean;
  /** Clock (Unix ms); default Date.now. */
  now?: () => number;
}

/** Settings the manager needs from the server config. */
export interface ManagerSettings extends SpecSettings {
  stateDir: string;
  stopGraceSeconds: number;
  maxLogBytes: number;
  /** How much of maxLogBytes keeps the beginning of the output (the rest keeps its end); default log-file.ts's. */
  logHeadBytes?: number;
  maxConcurrentJobs: number;
  /** Limits policy and host capacity, for checking requests. */
  validation: ValidationContext;
  /** A scheduled job whose time passed while the daemon was down still runs when at most this late (default 3600). */
  misfireGraceSeconds?: number;
  /** Most scheduled jobs waiting at once (default 1000). */
  maxScheduledJobs?: number;
  /** How long killing a job's processes may take before it is declared unkillable (default 15 s). */
  killTimeoutMs?: number;
  /** Finished jobs kept (default: forever, all). */
  retention?: RetentionPolicy;
}

/** A job being assembled (uploads arriving) but not yet launched. */
export interface PendingJob {
  id: string;
  workspace: WorkspaceWriter;
  uploads: string[];
  /** Uploads go to a staging directory on disk (the job or schedule starts later). */
  staged: boolean;
  uploadBytes: number;
  uploadEntries: number;
}

/** What a workflow job carries besides its request (manager.createPending). */
export interface PendingMeta {
  /** The id the job gets (a new UUIDv4 chosen by the caller); default: a fresh one. */
  id?: string;
  name: string;
  workflowId: string;
  attempt: number;
  dependencies: string[];
  requirements: string[];
  secretEnv?: Record<string, string>;
  uploads: string[];
  /** Where its uploads wait (owned by its workflow: not removed when the job ends). */
  staged?: StagedUploads;
}

/** A filter and position for listing jobs page by page (newest first). */
export interface JobQuery {
  before?: [number, string];
  statuses?: JobStatus[];
  since?: number;
  limit: number;
}
