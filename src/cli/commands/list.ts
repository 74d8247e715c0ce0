/** `rnx list` (alias `ps`): every job on the node. */
import { ClientCommand } from '../base';
import { commandLine, jobJson, localTime, table } from '../format';

/** List jobs. */
export class ListCommand extends ClientCommand {
  static override paths = [['list'], ['ps'], ['job', 'list']];
  static override usage = ClientCommand.Usage({
    category: 'Jobs',
    description: 'List jobs: ID, status, start time, command',
    details: 'With --json: an array of jobs, each as `rnx status --json` prints one (without volumes and network).',
    examples: [
      ['List jobs', 'rnx list'],
      ['As JSON, for scripts', 'rnx list --json'],
    ],
  });

  async run(): Promise<number> {
    const { jobs } = await this.withNode((c) => c.jobs.listJobs({}));
    if (this.wantJson) {
      this.json(jobs.map(jobJson));
      return 0;
    }
    if (jobs.length === 0) {
      this.out('No jobs found');
      return 0;
    }
    const rows = jobs.map((j) => {
      const cmd = commandLine(j.command, j.args);
      return [j.uuid, j.status, localTime(j.startTime), cmd.length > 80 ? `${cmd.slice(0, 77)}...` : cmd];
    });
    this.out(table(['ID', 'STATUS', 'START TIME', 'COMMAND'], rows));
    return 0;
  }
}
