/** `rnx status <id>`: everything about one job. */
import { Option } from 'clipanion';
import { ClientCommand } from '../base';
import { formatDuration, formatSize } from '../../shared/limits';
import { commandLine, duration, jobJson, localTime, safeText, type JobJson } from '../format';
import { currentUsageRows } from '../metrics-format';

/** Show a job's status. */
export class StatusCommand extends ClientCommand {
  static override paths = [['status'], ['job', 'status']];
  static override usage = ClientCommand.Usage({ description: 'Show a job: command, status, times, exit code, failure reason', examples: [['By id prefix', 'rnx status 3f2a']] });

  id = Option.String({ name: 'id' });

  async run(): Promise<number> {
    const j = jobJson(await this.withNode((c) => c.jobs.getJobStatus({ uuid: this.id })));
    if (this.wantJson) {
      this.json(j);
      return 0;
    }
    const rows: [string, string][] = [
      ['Job ID', j.id],
      ['Command', commandLine(j.command, j.args)],
      ['Status', j.status],
      ['Created', localTime(j.createdTime)],
      ['Started', j.status === 'INITIALIZING' ? 'not yet' : localTime(j.startTime)],
    ];
    if (j.endTime) rows.push(['Ended', localTime(j.endTime)]);
    if (j.durationMs || j.endTime) rows.push([j.endTime ? 'Duration' : 'Running For', duration(j.durationMs)]);
    if (j.exitCode !== null) rows.push(['Exit Code', String(j.exitCode)]);
    if (j.signal) rows.push(['Signal', j.signal]);
    if (j.failureReason) rows.push([j.status === 'STOPPED' ? 'Reason' : 'Failure', j.failureReason]);
    rows.push(['Work Dir', j.workDir]);
    rows.push(['Limits', limitsLine(j.limits)]);
    rows.push(['CPU Time', `${j.usage.cpuSeconds.toFixed(2)}s`]);
    rows.push(['Peak Memory', j.usage.memoryPeakBytes ? formatSize(j.usage.memoryPeakBytes) : 'unknown']);
    rows.push(['OOM Kills', String(j.usage.oomKills)]);
    rows.push(...currentUsageRows(j.current));
    if (j.network) rows.push(['Network', j.network]);
    if (j.volumes?.length) rows.push(['Volumes', j.volumes.map((v) => `${v} (/volumes/${v})`).join(', ')]);
    if (j.uploads.length) rows.push(['Uploads', j.uploads.join(', ')]);
    if (j.outputTruncated) rows.push(['Output', 'truncated at the server\'s cap']);
    const env = Object.keys(j.environment);
    if (env.length) rows.push(['Environment', env.map((k) => `${k}=${j.environment[k]}`).join(' ')]);
    const w = Math.max(...rows.map(([k]) => k.length)) + 1;
    for (const [k, v] of rows) this.out(`${`${k}:`.padEnd(w)} ${safeText(v)}`);
    return 0;
  }
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
