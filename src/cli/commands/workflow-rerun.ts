/** `rnx workflow rerun ID [--from-failed]`: run a finished workflow again, as a new workflow linked to it. */
import { ClientCommand } from '../base';
import { Arg, Flag } from '../flags';
import { workflowStatusJson } from '../workflow-format';
import { followUntilEnd } from '../workflow-submit';

/** Rerun a workflow. */
export class WorkflowRerunCommand extends ClientCommand {
  static override paths = [['workflow', 'rerun']];
  static override usage = ClientCommand.Usage({
    category: 'Workflows',
    description: 'Run a finished workflow again as a new workflow (--from-failed: only what did not complete)',
    details: `
      The new workflow has the same jobs, specs and uploads, and names the old one (Rerun Of). With --from-failed the
      jobs that COMPLETED are reused as they are (not run again) and the FAILED, CANCELED and STOPPED ones run again
      as their requirements allow. --follow watches the new workflow until it ends. With --json: the new workflow with
      its jobs.
    `,
    examples: [
      ['Rerun only what failed', 'rnx workflow rerun --from-failed 3f2a'],
      ['Rerun everything and watch it', 'rnx workflow rerun --follow 3f2a'],
    ],
  });

  fromFailed = Flag.boolean('--from-failed', 'Rerun only the jobs that did not complete; reuse the COMPLETED ones');
  follow = Flag.boolean('-f,--follow', 'Show the new workflow live until it ends; exit 1 unless it COMPLETED');
  id = Arg.required('ID', 'Workflow id or a unique prefix of 4+ characters');

  async run(): Promise<number> {
    return this.withNode(async (c) => {
      const res = await c.workflows.rerunWorkflow({ uuid: this.id, fromFailed: this.fromFailed });
      const s = workflowStatusJson({ workflow: res.workflowInfo!, jobs: res.jobs });
      if (this.follow) return followUntilEnd(c, s.id, this.context, this.wantJson, false);
      if (this.wantJson) this.json(s);
      else {
        this.out(`Workflow ID: ${s.id}`);
        this.out(`Rerun Of: ${s.rerunOf}`);
        const reused = s.jobs.filter((j) => j.reusedFrom).map((j) => j.name);
        this.out(`Jobs: ${s.totalJobs}${reused.length ? ` (${reused.length} reused: ${reused.join(', ')})` : ''}`);
        this.out(`Follow it with 'rnx workflow status --follow ${s.id}'`);
      }
      return 0;
    });
  }
}
