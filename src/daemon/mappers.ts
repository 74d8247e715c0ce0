/**
 * Job and volume records to wire messages. Times are RFC3339 (UTC); start_time is when the job started
 * running, or its creation time until then (as the original API reports it).
 */
import type { GetJobStatusResponse, Job, JobDetail, Volume } from '../gen/joblet';
import { formatDuration } from '../shared/limits';
import type { JobRecord } from '../store/job-record';
import { formatVolumeSize } from '../shared/volumes';
import type { VolumeInfo } from './volumes/manager';

function rfc3339(ms: number | undefined): string {
  return ms === undefined ? '' : new Date(ms).toISOString();
}

/** Our additions to the job message. */
export function toDetail(j: JobRecord, now = Date.now()): JobDetail {
  const from = j.startedAt;
  const to = j.endedAt ?? (j.status === 'RUNNING' || j.status === 'STOPPING' ? now : undefined);
  return {
    failureReason: j.failureReason ?? '',
    signal: j.signal ?? '',
    workDir: j.workdir,
    uploads: j.uploads,
    createdTime: rfc3339(j.createdAt),
    durationMs: from !== undefined && to !== undefined ? Math.max(0, to - from) : 0,
    outputTruncated: j.outputTruncated,
    owner: j.owner,
    limits: {
      maxCpu: j.limits.cpuPercent,
      cpuCores: j.limits.cpuCores,
      maxMemoryBytes: j.limits.memoryBytes,
      maxIoBps: j.limits.ioBps,
      maxPids: j.limits.pids,
      maxDiskBytes: j.limits.diskBytes,
      timeoutMs: j.limits.timeoutMs,
    },
    usage: j.usage,
    history: stateHistory(j).map((h) => ({ status: h.status, time: rfc3339(h.at) })),
    scheduleId: j.scheduleId ?? '',
    scheduleName: j.scheduleName ?? '',
    // Filled by GetJobStatus for a running job (the monitoring manager holds the samples).
    current: undefined,
    name: j.name ?? '',
    workflowUuid: j.workflowId ?? '',
    attempt: j.attempt ?? 0,
    dependencies: j.dependencies ?? [],
    requirements: j.requirements ?? [],
  };
}

/** When each state began; records from before the lifecycle get it derived from their times. */
function stateHistory(j: JobRecord): { status: string; at: number }[] {
  if (j.history?.length) return j.history;
  const h = [{ status: 'INITIALIZING', at: j.createdAt }];
  if (j.startedAt !== undefined) h.push({ status: 'RUNNING', at: j.startedAt });
  if (j.endedAt !== undefined && j.status !== 'RUNNING') h.push({ status: j.status, at: j.endedAt });
  return h;
}

/** The original API's limit fields (percent, MB, bytes/s, duration text). */
function legacyLimits(j: JobRecord) {
  return {
    maxCpu: j.limits.cpuPercent,
    cpuCores: j.limits.cpuCores,
    maxMemory: Math.round(j.limits.memoryBytes / 1048576),
    maxIoBps: j.limits.ioBps,
    timeout: j.limits.timeoutMs ? formatDuration(j.limits.timeoutMs) : '',
  };
}

const NO_GPU = { gpuIndices: [], gpuCount: 0, gpuMemoryMb: 0 };

/** Fields that Job and GetJobStatusResponse share. */
function commonFields(j: JobRecord) {
  return {
    uuid: j.id,
    command: j.command,
    args: j.args,
    ...legacyLimits(j),
    status: j.status,
    startTime: rfc3339(j.startedAt ?? j.createdAt),
    endTime: rfc3339(j.endedAt),
    exitCode: j.exitCode ?? 0,
    scheduledTime: rfc3339(j.scheduledAt),
    runtime: j.runtime ?? '',
    environment: j.env,
    // Secret values never leave the server: the names show which were set.
    secretEnvironment: Object.fromEntries(Object.keys(j.secretEnv ?? {}).map((k) => [k, '********'])),
    ...NO_GPU,
    nodeId: '',
    detail: toDetail(j),
  };
}

/** A job as ListJobs returns it. */
export function toJob(j: JobRecord): Job {
  return commonFields(j);
}

/** A job as GetJobStatus returns it: everything. */
export function toStatus(j: JobRecord): GetJobStatusResponse {
  return {
    ...commonFields(j),
    network: j.network ?? 'none',
    volumes: j.volumes ?? [],
    workDir: j.workdir,
    uploads: j.uploads,
    name: j.name ?? '',
    dependencies: j.dependencies ?? [],
    workflowUuid: j.workflowId ?? '',
  };
}

/** A volume as CreateVolume and ListVolumes return it (path: its mount on the server). */
export function toVolume(v: VolumeInfo): Volume {
  return {
    name: v.record.name,
    size: formatVolumeSize(v.record.sizeBytes),
    type: v.record.type,
    path: v.path,
    createdTime: rfc3339(v.record.createdAt),
    jobCount: v.jobs,
    problem: v.problem ?? '',
  };
}
