/** `rnx list` (alias `ps`): jobs on the node, oldest first; filters and a limit; pages through the server's answer. */
import type { Job } from '../../gen/joblet';
import { ClientCommand } from '../base';
import { Flag } from '../flags';
import { commandLine, jobJson, localTime, table } from '../format';
import { listQuery } from '../list-query';

/** List jobs. */
export class ListCommand extends ClientCommand {
  static override paths = [['list'], ['ps'], ['job', 'list']];
  static override usage = ClientCommand.Usage({
    category: 'Jobs',
    description: 'List jobs: ID, status, start time, command',
    details: `
      Oldest first. --limit N shows only the newest N jobs; --status S (repeatable, or comma-separated) only jobs in those
      states; --since DURATION only jobs created in that time (e.g. 1h, 2d); --workflow ID only the jobs of a workflow
      (every attempt of each, with a NAME column). With --json: an array of jobs, each as
      \`rnx status --json\` prints one (without volumes and network).
    `,
    examples: [
      ['List jobs', 'rnx list'],
      ['The 20 newest failed jobs of the last day', 'rnx list --status=failed --since=1d --limit=20'],
      ['As JSON, for scripts', 'rnx list --json'],
    ],
  });

  limit = Flag.string('--limit', 'N', 'Show only the newest N jobs');
  status = Flag.list('--status', 'STATE', 'Only jobs in this state (repeatable; comma-separated works too)', {
    values: ['SCHEDULED', 'PENDING', 'INITIALIZING', 'RUNNING', 'STOPPING', 'COMPLETED', 'FAILED', 'STOPPED', 'CANCELED'],
  });
  since = Flag.string('--since', 'DURATION', 'Only jobs created within this duration, e.g. 30m, 1d');
  workflow = Flag.string('--workflow', 'ID', 'Only the jobs of this workflow (every attempt), with their names');

  async run(): Promise<number> {
    const q = listQuery({ limit: this.limit, status: this.status, since: this.since });
    const jobs = await this.withNode(async (c) => {
      const pages: Job[][] = [];
      let have = 0;
      let token = '';
      // Pages come newest first; each is oldest first within itself.
      do {
        const page = await c.jobs.listJobs({ pageSize: q.limit ? Math.min(1000, q.limit - have) : 0, pageToken: token, statuses: q.statuses, since: q.since, workflowUuid: this.workflow ?? '' });
        pages.unshift(page.jobs);
        have += page.jobs.length;
        token = page.nextPageToken;
      } while (token && (!q.limit || have < q.limit));
      const all = pages.flat();
      return q.limit ? all.slice(Math.max(0, all.length - q.limit)) : all;
    });
    if (this.wantJson) {
      this.json(jobs.map(jobJson));
      return 0;
    }
    if (jobs.length === 0) {
      this.out('No jobs found');
      return 0;
    }
    const named = this.workflow !== undefined;
    const rows = jobs.map((j) => {
      const cmd = commandLine(j.command, j.args);
      // A scheduled job starts at its scheduled time.
      const start = j.status === 'SCHEDULED' && j.scheduledTime ? j.scheduledTime : j.startTime;
      const name = (j.detail?.name ?? '') + ((j.detail?.attempt ?? 0) > 1 ? ` #${j.detail!.attempt}` : '');
      return [j.uuid, ...(named ? [name] : []), j.status, localTime(start), cmd.length > 80 ? `${cmd.slice(0, 77)}...` : cmd];
    });
    this.out(table(['ID', ...(named ? ['NAME'] : []), 'STATUS', 'START TIME', 'COMMAND'], rows));
    return 0;
  }
}
