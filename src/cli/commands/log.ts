/**
 * `rnx log <id>` (alias `logs`): everything the job printed, then live output until it ends.
 * stdout goes to stdout and stderr to stderr, in the order the server stored them; notices from
 * joblet itself (e.g. "output truncated") go to stderr. Ctrl-C stops following; the job keeps running.
 */
import { ClientCommand } from '../base';
import { Arg, Flag } from '../flags';
import { EXIT_INTERRUPTED, followJob } from '../stream-output';

/** Print a job's output. */
export class LogCommand extends ClientCommand {
  static override paths = [['log'], ['logs'], ['job', 'log']];
  static override usage = ClientCommand.Usage({
    category: 'Jobs',
    description: "Print a job's output, following it live until the job ends",
    details: `
      The job's stdout goes to stdout and its stderr to stderr. Ctrl-C stops following and leaves the job running; the
      line printed then shows how to stop it (rnx stop ID). A second Ctrl-C is not needed: rnx log never stops a job.
    `,
    examples: [
      ['Follow a job', 'rnx log 3f2a'],
      ['What is stored so far, without following', 'rnx log --no-follow 3f2a'],
    ],
  });

  follow = Flag.boolean('-f,--follow', 'Follow live output until the job ends (the default; --no-follow prints what is stored and exits)', { initial: true });
  id = Arg.required('ID', 'Job id or a unique prefix of 4+ characters', { complete: 'jobs' });

  async run(): Promise<number> {
    const end = await this.withNode((c) => followJob(c, this.id, this.context, { noFollow: !this.follow }));
    if (end === 'ended') return 0;
    this.context.stderr.write(`\nrnx: stopped following job ${this.id}, which keeps running; reattach with 'rnx log ${this.id}', stop it with 'rnx stop ${this.id}'\n`);
    return EXIT_INTERRUPTED;
  }
}
