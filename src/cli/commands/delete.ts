/** `rnx delete <id>` (alias `rm`) / `rnx delete --all`: remove finished jobs and their logs. */
import { ClientCommand, UsageError } from '../base';
import { Arg, Flag } from '../flags';

/** Delete finished jobs. */
export class DeleteCommand extends ClientCommand {
  static override paths = [['delete'], ['rm'], ['job', 'delete']];
  static override usage = ClientCommand.Usage({
    category: 'Jobs',
    description: 'Delete a finished job and its logs, or all finished jobs',
    details: 'Running jobs are never deleted: stop them first (`rnx stop ID`). With --json: {id, deleted} or, with --all, {deleted, skipped}.',
    examples: [
      ['One job', 'rnx delete 3f2a'],
      ['Every finished job', 'rnx delete --all'],
    ],
  });

  all = Flag.boolean('--all', 'Delete every finished job (running ones are kept)');
  id = Arg.optional('ID', 'Job id or a unique prefix of 4+ characters', { complete: 'jobs' });

  async run(): Promise<number> {
    if (this.all === (this.id !== undefined)) throw new UsageError('give either a job id or --all');
    if (this.all) {
      const res = await this.withNode((c) => c.jobs.deleteAllJobs({}));
      if (this.wantJson) this.json({ deleted: res.deletedCount, skipped: res.skippedCount });
      else this.out(`Deleted ${res.deletedCount} job${res.deletedCount === 1 ? '' : 's'}` + (res.skippedCount ? ` (${res.skippedCount} still running, kept)` : ''));
      return 0;
    }
    const res = await this.withNode((c) => c.jobs.deleteJob({ uuid: this.id! }));
    if (this.wantJson) this.json({ id: res.uuid, deleted: res.success });
    else this.out(`Job ${res.uuid} deleted`);
    return 0;
  }
}
