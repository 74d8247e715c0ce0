/** `rnx cancel <id>`: a scheduled job becomes CANCELED and never runs. */
import { ClientCommand } from '../base';
import { Arg } from '../flags';

/** Cancel a scheduled job. */
export class CancelCommand extends ClientCommand {
  static override paths = [['cancel'], ['job', 'cancel']];
  static override usage = ClientCommand.Usage({
    category: 'Jobs',
    description: 'Cancel a scheduled job: it never runs (a job that has started is stopped with rnx stop)',
    details: 'Only a SCHEDULED job can be canceled; any other state is refused, naming it. With --json: {id, status}.',
    examples: [['Cancel by id prefix', 'rnx cancel 3f2a']],
  });

  id = Arg.required('ID', 'Job id or a unique prefix of 4+ characters', { complete: 'jobs' });

  async run(): Promise<number> {
    const res = await this.withNode((c) => c.jobs.cancelJob({ uuid: this.id }));
    if (this.wantJson) {
      this.json({ id: res.uuid, status: res.status });
      return 0;
    }
    this.out('Job canceled:');
    this.out(`ID: ${res.uuid}`);
    this.out(`Status: ${res.status}`);
    return 0;
  }
}
