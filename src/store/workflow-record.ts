/**
 * A workflow as the daemon stores it (tables `workflows` and `workflow_jobs`, db.ts): a header
 * record, and one row per workflow job holding what every attempt of it runs and how it stands.
 * Each attempt is an ordinary job (table `jobs`) that names its workflow.
 */
import type { RequirementSpec } from '../shared/workflow/expression';
import type { RetryPolicy } from '../shared/workflow/plan';
import type { JobLimitsRecord, JobStatus, StagedUploads } from './job-record';

/** The states of a workflow. */
export const WORKFLOW_STATUSES = ['PENDING', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELED', 'STOPPED'] as const;

/** One of WORKFLOW_STATUSES. */
export type WorkflowStatus = (typeof WORKFLOW_STATUSES)[number];

/** True once a workflow has ended. */
export function isWorkflowDone(s: string): boolean {
  return s === 'COMPLETED' || s === 'FAILED' || s === 'CANCELED' || s === 'STOPPED';
}

/** What each attempt of a workflow job runs: the checked request (as the job manager takes it). */
export interface WorkflowJobSpec {
  command: string;
  args: string[];
  env: Record<string, string>;
  workdir: string;
  limits: JobLimitsRecord;
  network: string;
  volumes: string[];
  /** Further fields of the checked request (a runtime, once the server has them) travel as they are. */
  [more: string]: unknown;
}

/** A job of a workflow as prepared for running: its spec, its requirements and its uploads. */
export interface PreparedJob {
  name: string;
  spec: WorkflowJobSpec;
  secretEnv: Record<string, string>;
  requires: RequirementSpec[];
  dependencies: string[];
  retries: RetryPolicy;
  allowFailure: boolean;
  /** Paths uploaded to /work, and where they wait on disk (shared by every attempt and rerun). */
  uploads: string[];
  staged?: StagedUploads;
}

/** A prepared workflow (what a schedule fires and a rerun repeats). */
export interface PreparedWorkflow {
  name: string;
  file: string;
  workflowName: string;
  description: string;
  onFailure: 'stop' | 'continue';
  /** The file as submitted, secret values masked. */
  yaml: string;
  jobs: PreparedJob[];
}

/** The header of a workflow. Times are Unix ms. */
export interface WorkflowRecord {
  id: string;
  name: string;
  file: string;
  workflowName: string;
  description: string;
  status: WorkflowStatus;
  onFailure: 'stop' | 'continue';
  yaml: string;
  owner: string;
  createdAt: number;
  startedAt?: number;
  endedAt?: number;
  /** Why it ended as it did. */
  message?: string;
  /** Set when a stop was asked for: who asked, and when; `onFailure` when on_failure: stop did it. */
  stop?: { by: string; at: number; onFailure?: boolean };
  rerunOf?: string;
  reruns?: string[];
  scheduleId?: string;
  scheduleName?: string;
}

/** One job of a workflow and how it stands. */
export interface WorkflowJobRecord extends PreparedJob {
  workflowId: string;
  /** Position in the file. */
  index: number;
  /** The latest attempt's job id ('' never: every workflow job has a job from the start). */
  jobId: string;
  /** Every attempt's job id, oldest first. */
  attempts: string[];
  /** The latest attempt's state, as last seen. */
  status: JobStatus;
  exitCode?: number;
  startedAt?: number;
  endedAt?: number;
  failureReason?: string;
  /** A retry is due at this time (the next attempt is created then). */
  retryAt?: number;
  /** The attempt (job id) whose end was already decided on (retry or not). */
  settled?: string;
  /** The latest attempt was stopped by a daemon shutdown, not by anyone: it may be retried. */
  interrupted?: boolean;
  /** Some attempt was started (left PENDING). */
  ran?: boolean;
  /** Its workflow's stop stopped it (so its STOPPED is not a failure of its own). */
  stoppedByWorkflow?: boolean;
  /** In a rerun: the workflow whose COMPLETED job this one reuses (nothing runs again). */
  reusedFrom?: string;
}
