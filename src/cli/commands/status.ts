/**
 * `rnx status <id>`: everything about one job — or, given a workflow's id, the workflow's unified
 * view (as `rnx workflow status`). `rnx inspect <id>` is `rnx status --json <id>`.
 */
import { ClientCommand } from '../base';
import { Arg } from '../flags';
import { formatDuration, formatSize } from '../../shared/limits';
import { commandLine, duration, jobJson, localTime, safeText, type JobJson } from '../format';
import { localAndUtc } from '../schedule-format';
import { timeUntil } from '../../shared/schedule';
import { currentUsageRows } from '../metrics-format';
import type { GetJobStatusResponse, GetWorkflowStatusResponse } from '../../gen/joblet';
import { statusView, workflowStatusJson } from '../workflow-format';

/** gRPC's NOT_FOUND (the status code, without loading gRPC for commands that need none). */
const NOT_FOUND = 5;

/** Show a job's status. */
export class StatusCommand extends ClientCommand {
  static override paths = [['status'], ['job', 'status']];
  static override usage = ClientCommand.Usage({
    category: 'Jobs',
    description: 'Show a job: status, times, exit code, limits, usage',
    details: "With --json: the job object documented in the README (JSON output); times not known yet are null. Given a workflow's id, it shows the workflow as 'rnx workflow status' does.",
    examples: [
      ['By a unique id prefix', 'rnx status 3f2a'],
      ['As JSON, for scripts', 'rnx status --json 3f2a'],
    ],
  });

  id = Arg.required('ID', 'Job id or a unique prefix of 4+ characters', { complete: 'jobs' });

  async run(): Promise<number> {
    const found = await this.withNode(async (c): Promise<GetJobStatusResponse | GetWorkflowStatusResponse> => {
      try {
        return await c.jobs.getJobStatus({ uuid: this.id });
      } catch (err) {
        if ((err as { code?: number }).code !== NOT_FOUND) throw err;
        // Not a job: perhaps a workflow (the unified status); if not, the job's "not found" stands.
        return c.jobs.getWorkflowStatus({ workflowUuid: this.id }).catch(() => Promise.reject(err));
      }
    });
    if ('jobs' in found) {
      const w = workflowStatusJson(found);
      if (this.wantJson) this.json(w);
      else for (const l of statusView(w, false)) this.out(l);
      return 0;
    }
    const j = jobJson(found);
    if (this.wantJson) {
      this.json(j);
      return 0;
    }
    const rows: [string, string][] = [
      ['Job ID', j.id],
      ['Command', commandLine(j.command, j.args)],
      ['Status', j.status],
      ['Created', localTime(j.createdTime)],
    ];
    if (j.scheduledTime) rows.push(['Scheduled', `${localAndUtc(j.scheduledTime)}${j.status === 'SCHEDULED' ? `, ${timeUntil(new Date(j.scheduledTime))}` : ''}`]);
    if (j.scheduleId) rows.push(['Schedule', `${j.scheduleName || '(unnamed)'} (${j.scheduleId})`]);
    if (j.name && !j.workflowId) rows.push(['Name', j.name]);
    if (j.workflowId) rows.push(['Workflow', `${j.workflowId} (job '${j.name}', attempt ${j.attempt})`]);
    if (j.requirements.length) rows.push(['Requires', j.requirements.join('; ')]);
    // start_time is the creation time until a job runs (as the original API has it): ask the history.
    const ran = j.history.length === 0 ? j.status !== 'INITIALIZING' : j.history.some((h) => h.status === 'RUNNING');
    rows.push(['Started', ran ? localTime(j.startTime) : j.status === 'SCHEDULED' || j.status === 'INITIALIZING' || j.status === 'PENDING' ? 'not yet' : 'never']);
    if (j.endTime) rows.push(['Ended', localTime(j.endTime)]);
    if (j.durationMs || j.endTime) rows.push([j.endTime ? 'Duration' : 'Running For', duration(j.durationMs)]);
    if (j.exitCode !== null) rows.push(['Exit Code', String(j.exitCode)]);
    if (j.signal) rows.push(['Signal', j.signal]);
    if (j.failureReason) rows.push([j.status === 'STOPPED' || j.status === 'STOPPING' || j.status === 'CANCELED' ? 'Reason' : 'Failure', j.failureReason]);
    for (const [i, h] of j.history.entries()) rows.push([i === 0 ? 'States' : '', `${h.status.padEnd(12)} ${localTime(h.time)}${fraction(h.time)}`]);
    rows.push(['Work Dir', j.workDir]);
    rows.push(['Limits', limitsLine(j.limits)]);
    rows.push(['CPU Time', `${j.usage.cpuSeconds.toFixed(2)}s`]);
    rows.push(['Peak Memory', j.usage.memoryPeakBytes ? formatSize(j.usage.memoryPeakBytes) : 'unknown']);
    rows.push(['OOM Kills', String(j.usage.oomKills)]);
    rows.push(...currentUsageRows(j.current));
    if (j.network) rows.push(['Network', j.network]);
    if (j.runtime) rows.push(['Runtime', j.runtime]);
    if (j.volumes?.length) rows.push(['Volumes', j.volumes.map((v) => `${v} (/volumes/${v})`).join(', ')]);
    if (j.uploads.length) rows.push(['Uploads', j.uploads.join(', ')]);
    if (j.outputTruncated) rows.push(['Output', 'truncated at the server\'s cap']);
    const env = Object.keys(j.environment);
    if (env.length) rows.push(['Environment', env.map((k) => `${k}=${j.environment[k]}`).join(' ')]);
    const secrets = Object.keys(found.secretEnvironment ?? {});
    if (secrets.length) rows.push(['Secret Env', `${secrets.join(' ')} (values hidden)`]);
    const w = Math.max(...rows.map(([k]) => k.length)) + 1;
    for (const [k, v] of rows) this.out(`${(k ? `${k}:` : '').padEnd(w)} ${safeText(v)}`);
    return 0;
  }
}

/** ".123" — the milliseconds of an RFC3339 time, so that quick transitions stay apart. */
function fraction(rfc3339: string): string {
  const ms = new Date(rfc3339).getMilliseconds();
  return Number.isNaN(ms) ? '' : `.${String(ms).padStart(3, '0')}`;
}

/** "cpu 50%, cores 0-1, memory 512MB, pids 512, disk 1MB, io 1048576 B/s, timeout 5m". */
function limitsLine(l: JobJson['limits']): string {
  const parts: string[] = [];
  if (l.cpuPercent) parts.push(`cpu ${l.cpuPercent}%`);
  if (l.cpuCores) parts.push(`cores ${l.cpuCores}`);
  if (l.memoryBytes) parts.push(`memory ${formatSize(l.memoryBytes)}`);
  if (l.pids) parts.push(`pids ${l.pids}`);
  if (l.diskBytes) parts.push(`disk ${formatSize(l.diskBytes)}`);
  if (l.ioBps) parts.push(`io ${l.ioBps} B/s`);
  if (l.timeoutMs) parts.push(`timeout ${formatDuration(l.timeoutMs)}`);
  return parts.join(', ') || 'none';
}

/** `rnx inspect <id>`: the job as JSON, as Docker users type it. */
export class InspectCommand extends StatusCommand {
  static override paths = [['inspect']];
  static aliasOf = 'status --json';
  static override usage = ClientCommand.Usage({
    category: 'Jobs',
    description: 'Show a job as JSON (the same as rnx status --json)',
    examples: [['A job as JSON', 'rnx inspect 3f2a']],
  });

  protected override get wantJson(): boolean {
    return true;
  }
}
