/**
 * `rnx stop <id>`: SIGTERM to every process of the job; if its PID 1 handles SIGTERM it gets the
 * grace period (the server's, or --grace), then SIGKILL. A scheduled job is canceled instead.
 */
import { Option } from 'clipanion';
import { ClientCommand } from '../base';
import { parseGrace } from '../../shared/schedule';

/** Stop a running job. */
export class StopCommand extends ClientCommand {
  static override paths = [['stop'], ['job', 'stop']];
  static override usage = ClientCommand.Usage({
    description: 'Stop a job (SIGTERM, then SIGKILL: at once if the job does not handle SIGTERM, else after the grace period); a scheduled job is canceled',
    examples: [['Stop', 'rnx stop 3f2a'], ['Give it 30 s to exit cleanly', 'rnx stop --grace=30s 3f2a']],
  });

  grace = Option.String('--grace', { description: 'SIGTERM to SIGKILL grace for a job that handles SIGTERM, e.g. 30s or 0s (default: the server\'s jobs.stopGraceSeconds)' });
  id = Option.String({ name: 'id' });

  async run(): Promise<number> {
    if (this.grace !== undefined) parseGrace('--grace', this.grace);
    const res = await this.withNode((c) => c.jobs.stopJob({ uuid: this.id, grace: this.grace ?? '' }));
    if (this.wantJson) {
      this.json({ id: res.uuid, status: res.status, endTime: res.endTime, exitCode: res.exitCode });
      return 0;
    }
    this.out(res.status === 'CANCELED' ? 'Scheduled job canceled:' : 'Job stopped successfully:');
    this.out(`ID: ${res.uuid}`);
    this.out(`Status: ${res.status}`);
    return 0;
  }
}
