/** `rnx list` (alias `ps`): jobs on the node, oldest first; filters and a limit; pages through the server's answer. */
import type { Job } from '../../gen/joblet';
import type { Connection } from '../client';
import { ClientCommand } from '../base';
import { FanOutCommand, fanOutExit } from '../fan-out';
import { Flag } from '../flags';
import { commandLine, jobJson, localTime, table } from '../format';
import { listQuery, type ListQuery } from '../list-query';

/** List jobs. */
export class ListCommand extends FanOutCommand {
  static override paths = [['list'], ['ps'], ['job', 'list']];
  static override usage = ClientCommand.Usage({
    category: 'Jobs',
    description: 'List jobs: ID, status, start time, command',
    details: `
      Oldest first. --limit N shows only the newest N jobs; --status S (repeatable, or comma-separated) only jobs in those
      states; --since DURATION only jobs created in that time (e.g. 1h, 2d); --workflow ID only the jobs of a workflow
      (every attempt of each, with a NAME column). With --json: an array of jobs, each as
      \`rnx status --json\` prints one (without volumes and network). --node=a,b or --all-nodes lists the jobs of
      several nodes, asked in parallel, with a NODE column (in JSON, a "node" field in each job); a node that
      cannot be asked is reported on stderr and the others are still listed (exit 1 only when no node answered).
    `,
    examples: [
      ['List jobs', 'rnx list'],
      ['The 20 newest failed jobs of the last day', 'rnx list --status=failed --since=1d --limit=20'],
      ['As JSON, for scripts', 'rnx list --json'],
      ['Running jobs on every node', 'rnx list --all-nodes --status=running'],
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
    const nodes = this.fanOutTargets();
    if (nodes) return this.listNodes(nodes, q);
    const jobs = await this.withNode((c) => fetchJobs(c, q, this.workflow));
    if (this.wantJson) {
      this.json(jobs.map(jobJson));
      return 0;
    }
    if (jobs.length === 0) {
      this.out('No jobs found');
      return 0;
    }
    this.out(table(...this.rows(jobs.map((job) => ({ job })))));
    return 0;
  }

  /** `--node=a,b` / `--all-nodes`: every node's jobs, merged oldest first, each marked with its node. */
  private async listNodes(nodes: string[], q: ListQuery): Promise<number> {
    const answers = await this.onNodes(nodes, (c, signal) => fetchJobs(c, q, this.workflow, signal));
    const all = answers
      .flatMap((a) => (a.value ?? []).map((job) => ({ node: a.node, job })))
      .sort((x, y) => created(x.job).localeCompare(created(y.job)) || x.node.localeCompare(y.node));
    const jobs = q.limit ? all.slice(Math.max(0, all.length - q.limit)) : all;
    if (this.wantJson) this.json(jobs.map(({ node, job }) => ({ node, ...jobJson(job) })));
    else if (jobs.length === 0) this.out(answers.some((a) => a.error === undefined) ? 'No jobs found' : 'No node answered');
    else this.out(table(...this.rows(jobs)));
    return fanOutExit(answers);
  }

  /** Header and rows of the human table; a NODE column first when jobs carry their node. */
  private rows(jobs: { node?: string; job: Job }[]): [string[], string[][]] {
    const named = this.workflow !== undefined;
    const withNode = jobs.some((j) => j.node !== undefined);
    const rows = jobs.map(({ node, job: j }) => {
      const cmd = commandLine(j.command, j.args);
      // A scheduled job starts at its scheduled time.
      const start = j.status === 'SCHEDULED' && j.scheduledTime ? j.scheduledTime : j.startTime;
      const name = (j.detail?.name ?? '') + ((j.detail?.attempt ?? 0) > 1 ? ` #${j.detail!.attempt}` : '');
      return [...(withNode ? [node ?? ''] : []), j.uuid, ...(named ? [name] : []), j.status, localTime(start), cmd.length > 80 ? `${cmd.slice(0, 77)}...` : cmd];
    });
    return [[...(withNode ? ['NODE'] : []), 'ID', ...(named ? ['NAME'] : []), 'STATUS', 'START TIME', 'COMMAND'], rows];
  }
}

/** The jobs of one node matching `q`, oldest first, paging through the server's answer. */
async function fetchJobs(c: Connection, q: ListQuery, workflow: string | undefined, signal?: AbortSignal): Promise<Job[]> {
  const pages: Job[][] = [];
  let have = 0;
  let token = '';
  // Pages come newest first; each is oldest first within itself.
  do {
    const page = await c.jobs.listJobs({ pageSize: q.limit ? Math.min(1000, q.limit - have) : 0, pageToken: token, statuses: q.statuses, since: q.since, workflowUuid: workflow ?? '' }, { signal });
    pages.unshift(page.jobs);
    have += page.jobs.length;
    token = page.nextPageToken;
  } while (token && (!q.limit || have < q.limit));
  const all = pages.flat();
  return q.limit ? all.slice(Math.max(0, all.length - q.limit)) : all;
}

/** When the server accepted a job (RFC 3339, so it sorts as text); its start time for servers that do not say. */
function created(j: Job): string {
  return j.detail?.createdTime || j.startTime || '';
}
