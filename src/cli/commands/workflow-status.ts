/** `rnx workflow status ID`: the unified view of a workflow — header, jobs, and its DAG as text. */
import { ClientCommand } from '../base';
import { Arg, Flag } from '../flags';
import { statusView, workflowStatusJson } from '../workflow-format';
import { followUntilEnd } from '../workflow-submit';

/** Show a workflow. */
export class WorkflowStatusCommand extends ClientCommand {
  static override paths = [['workflow', 'status'], ['workflow', 'show']];
  static override usage = ClientCommand.Usage({
    category: 'Workflows',
    description: 'Show a workflow: status, progress, times, its jobs and its DAG',
    details: `
      The header (id, name, status, progress, times), then JOB UUID | JOB NAME | STATUS | EXIT CODE | DEPENDENCIES,
      then the graph drawn as text. --detail adds why jobs failed or were canceled, and the YAML file as submitted
      (secret values masked). --follow redraws the view at every change until the workflow ends (in a pipe: one line
      per change, then the final view) and exits 0 when it COMPLETED, 1 otherwise. With --json: the workflow with its
      jobs (with --detail also its yaml; with --follow, one object per change, one per line).
    `,
    examples: [
      ['By a unique id prefix', 'rnx workflow status 3f2a'],
      ['Watch it until it ends', 'rnx workflow status --follow 3f2a'],
      ['With failure reasons and the YAML', 'rnx workflow status --detail 3f2a'],
    ],
  });

  detail = Flag.boolean('-d,--detail', 'Add failure reasons and the YAML file as submitted');
  follow = Flag.boolean('-f,--follow', 'Redraw at every change until the workflow ends; exit 1 unless it COMPLETED');
  id = Arg.required('ID', 'Workflow id or a unique prefix of 4+ characters');

  async run(): Promise<number> {
    return this.withNode(async (c) => {
      if (this.follow) return followUntilEnd(c, (await c.jobs.getWorkflowStatus({ workflowUuid: this.id })).workflow!.uuid, this.context, this.wantJson, this.detail);
      const s = workflowStatusJson(await c.jobs.getWorkflowStatus({ workflowUuid: this.id }), this.detail);
      if (this.wantJson) this.json(s);
      else for (const l of statusView(s, this.detail)) this.out(l);
      return 0;
    });
  }
}
