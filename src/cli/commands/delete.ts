/** `rnx delete <id>` / `rnx delete --all`: remove finished jobs and their logs. */
import { Option, UsageError } from 'clipanion';
import { ClientCommand } from '../base';

/** Delete finished jobs. */
export class DeleteCommand extends ClientCommand {
  static override paths = [['delete'], ['job', 'delete']];
  static override usage = ClientCommand.Usage({
    description: 'Delete a finished job and its logs, or all finished jobs with --all',
    examples: [['One job', 'rnx delete 3f2a'], ['Every finished job', 'rnx delete --all']],
  });

  all = Option.Boolean('--all', false, { description: 'Delete every finished job (running ones are kept)' });
  id = Option.String({ name: 'id', required: false });

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
