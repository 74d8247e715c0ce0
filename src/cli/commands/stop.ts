/** `rnx stop <id>`: SIGTERM, the server's grace period, then SIGKILL to every process of the job. */
import { Option } from 'clipanion';
import { ClientCommand } from '../base';

/** Stop a running job. */
export class StopCommand extends ClientCommand {
  static override paths = [['stop'], ['job', 'stop']];
  static override usage = ClientCommand.Usage({ description: 'Stop a running job (SIGTERM, then SIGKILL after the grace period)' });

  id = Option.String({ name: 'id' });

  async run(): Promise<number> {
    const res = await this.withNode((c) => c.jobs.stopJob({ uuid: this.id }));
    if (this.wantJson) {
      this.json({ id: res.uuid, status: res.status, endTime: res.endTime, exitCode: res.exitCode });
      return 0;
    }
    this.out('Job stopped successfully:');
    this.out(`ID: ${res.uuid}`);
    this.out(`Status: ${res.status}`);
    return 0;
  }
}
