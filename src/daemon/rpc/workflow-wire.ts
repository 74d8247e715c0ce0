/** Workflows as the workflow RPCs carry them (v2.3.x messages plus our additions from 1000 up). */
import type { RunWorkflowRequest, Timestamp, WorkflowInfo, WorkflowJob } from '../../gen/joblet';
import { InvalidArgumentError } from '../../shared/errors';
import { printable } from '../../shared/ids';
import type { WorkflowJobRecord } from '../../store/workflow-record';
import { counts, shownStatus } from '../workflows/engine';
import type { WorkflowView } from '../workflows/manager';
import type { WorkflowInput } from '../workflows/prepare';

/** Unix ms as the Timestamp message; undefined stays unset. */
export function timestamp(ms: number | undefined): Timestamp | undefined {
  if (ms === undefined) return undefined;
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1_000_000 };
}

/** A workflow's header with its counts; `yaml` false leaves the file out (lists). */
export function toWorkflowInfo(v: WorkflowView, yaml = true): WorkflowInfo {
  const r = v.rec;
  const c = counts(v.jobs);
  return {
    uuid: r.id,
    workflow: r.file,
    status: r.status,
    totalJobs: c.total,
    completedJobs: c.completed,
    failedJobs: c.failed,
    canceledJobs: c.canceled,
    createdAt: timestamp(r.createdAt),
    startedAt: timestamp(r.startedAt),
    completedAt: timestamp(r.endedAt),
    yamlContent: yaml ? r.yaml : '',
    name: r.name,
    description: r.description,
    owner: r.owner,
    onFailure: r.onFailure,
    rerunOf: r.rerunOf ?? '',
    reruns: r.reruns ?? [],
    scheduleId: r.scheduleId ?? '',
    scheduleName: r.scheduleName ?? '',
    message: r.message ?? '',
    stoppedJobs: c.stopped,
    runningJobs: c.running,
    pendingJobs: c.pending,
    workflowName: r.workflowName,
  };
}

/** One job of a workflow. */
export function toWorkflowJob(j: WorkflowJobRecord): WorkflowJob {
  return {
    jobUuid: j.jobId,
    jobName: j.name,
    status: shownStatus(j),
    dependencies: j.dependencies,
    startTime: timestamp(j.startedAt),
    endTime: timestamp(j.endedAt),
    exitCode: j.exitCode ?? 0,
    requirements: j.requires.map((r) => r.text),
    attempt: j.reusedFrom ? 1 : j.attempts.length,
    maxAttempts: j.retries.count + 1,
    failureReason: j.failureReason ?? '',
    nextAttemptTime: timestamp(j.retryAt),
    attemptJobUuids: j.reusedFrom ? [j.jobId] : j.attempts,
    allowFailure: j.allowFailure,
    reusedFrom: j.reusedFrom ?? '',
  };
}

/** The input of a RunWorkflow / ValidateWorkflow request. */
export function workflowInput(req: RunWorkflowRequest): WorkflowInput {
  if (!req.yamlContent.trim()) throw new InvalidArgumentError('yamlContent is required: send the text of the workflow file');
  const file = (req.workflow || 'workflow.yaml').split('/').pop()!;
  if (file.length > 255 || file.includes('\0')) throw new InvalidArgumentError(`workflow: '${printable(file)}' is not a file name`);
  return { file, yaml: req.yamlContent, files: req.workflowFiles, workflowName: req.workflowName ?? '', env: req.environment ?? {} };
}
