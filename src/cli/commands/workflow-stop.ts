/** `rnx workflow stop ID`: cancel the workflow's pending jobs and stop its running ones. */
import { ClientCommand } from '../base';
import { Arg } from '../flags';
import { progress, workflowStatusJson } from '../workflow-format';

/** Stop a workflow. */
export class WorkflowStopCommand extends ClientCommand {
  static override paths = [['workflow', 'stop']];
  static override usage = ClientCommand.Usage({
    category: 'Workflows',
    description: 'Stop a workflow: its running jobs are stopped, its pending ones canceled',
    details: 'Returns once every job has ended. The workflow ends STOPPED (CANCELED when no job had started). With --json: the workflow with its jobs, as rnx workflow status --json prints it.',
    examples: [['Stop a workflow', 'rnx workflow stop 3f2a']],
  });

  id = Arg.required('ID', 'Workflow id or a unique prefix of 4+ characters');

  async run(): Promise<number> {
    const s = workflowStatusJson(await this.withNode((c) => c.workflows.stopWorkflow({ uuid: this.id })));
    if (this.wantJson) this.json(s);
    else {
      this.out(`Workflow ${s.id} ${s.status}`);
      this.out(`Progress: ${progress(s)}`);
    }
    return 0;
  }
}
