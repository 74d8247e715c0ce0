/** `rnx cancel <id>`: a scheduled job becomes CANCELED and never runs. */
import { Option } from 'clipanion';
import { ClientCommand } from '../base';

/** Cancel a scheduled job. */
export class CancelCommand extends ClientCommand {
  static override paths = [['cancel'], ['job', 'cancel']];
  static override usage = ClientCommand.Usage({
    description: 'Cancel a scheduled job (it never runs); a job that has started is stopped with rnx stop',
    examples: [['Cancel by id prefix', 'rnx cancel 3f2a']],
  });

  id = Option.String({ name: 'id' });

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
