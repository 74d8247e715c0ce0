/**
 * `rnx stop <id>`: SIGTERM to every process of the job; if its PID 1 handles SIGTERM it gets the
 * grace period (the server's, or --grace), then SIGKILL. A scheduled job is canceled instead.
 */
import { parseGrace } from '../../shared/schedule';
import { ClientCommand } from '../base';
import { Arg, Flag } from '../flags';
import { nullTime } from '../format';

/** Stop a running job. */
export class StopCommand extends ClientCommand {
  static override paths = [['stop'], ['job', 'stop']];
  static override usage = ClientCommand.Usage({
    category: 'Jobs',
    description: 'Stop a running job (SIGTERM, then SIGKILL after the grace period)',
    details: `
      Every process of the job is signalled, daemonized ones too. SIGKILL follows at once when the job's PID 1 does not
      handle SIGTERM; otherwise after the grace period (the server's jobs.stopGraceSeconds, or --grace). The job ends
      STOPPED; a scheduled job is canceled instead (CANCELED). With --json: {id, status, endTime, exitCode}.
    `,
    examples: [
      ['Stop a job', 'rnx stop 3f2a'],
      ['Give it 30 s to exit cleanly', 'rnx stop --grace=30s 3f2a'],
    ],
  });

  grace = Flag.string('--grace', 'DURATION', "SIGTERM to SIGKILL grace for a job that handles SIGTERM, e.g. 30s or 0s (default: the server's)");
  id = Arg.required('ID', 'Job id or a unique prefix of 4+ characters', { complete: 'jobs' });

  async run(): Promise<number> {
    if (this.grace !== undefined) parseGrace('--grace', this.grace);
    const res = await this.withNode((c) => c.jobs.stopJob({ uuid: this.id, grace: this.grace ?? '' }));
    if (this.wantJson) {
      this.json({ id: res.uuid, status: res.status, endTime: nullTime(res.endTime), exitCode: res.exitCode });
      return 0;
    }
    this.out(res.status === 'CANCELED' ? 'Scheduled job canceled:' : 'Job stopped successfully:');
    this.out(`ID: ${res.uuid}`);
    this.out(`Status: ${res.status}`);
    return 0;
  }
}
