/**
 * `rnx log <id>`: everything the job printed, then live output until it ends. stdout goes to
 * stdout and stderr to stderr, in the order the server stored them; notices from joblet itself
 * (e.g. "output truncated") go to stderr.
 */
import { Option } from 'clipanion';
import { ClientCommand } from '../base';
import { writeChunks } from '../stream-output';

/** Print a job's output. */
export class LogCommand extends ClientCommand {
  static override paths = [['log'], ['logs'], ['job', 'log']];
  static override usage = ClientCommand.Usage({ description: 'Print a job\'s output, following it live until the job ends' });

  id = Option.String({ name: 'id' });
  follow = Option.Boolean('-f,--follow', true, { description: 'Follow live output until the job ends (the default); --no-follow prints what is stored and exits' });

  async run(): Promise<number> {
    await this.withNode((c) => writeChunks(c.jobs.getJobLogs({ uuid: this.id, noFollow: !this.follow }), this.context));
    return 0;
  }
}
