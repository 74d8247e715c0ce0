/** `rnx stop <id>`: SIGTERM, the server's grace period, then SIGKILL to every process of the job. */
import { ClientCommand } from '../base';
import { Arg } from '../flags';
import { nullTime } from '../format';

/** Stop a running job. */
export class StopCommand extends ClientCommand {
  static override paths = [['stop'], ['job', 'stop']];
  static override usage = ClientCommand.Usage({
    category: 'Jobs',
    description: 'Stop a running job (SIGTERM, then SIGKILL after the grace period)',
    details: 'Every process of the job is signalled, daemonized ones too. The job ends STOPPED. With --json: {id, status, endTime, exitCode}.',
    examples: [['Stop a job', 'rnx stop 3f2a']],
  });

  id = Arg.required('ID', 'Job id or a unique prefix of 4+ characters');

  async run(): Promise<number> {
    const res = await this.withNode((c) => c.jobs.stopJob({ uuid: this.id }));
    if (this.wantJson) {
      this.json({ id: res.uuid, status: res.status, endTime: nullTime(res.endTime), exitCode: res.exitCode });
      return 0;
    }
    this.out('Job stopped successfully:');
    this.out(`ID: ${res.uuid}`);
    this.out(`Status: ${res.status}`);
    return 0;
  }
}
