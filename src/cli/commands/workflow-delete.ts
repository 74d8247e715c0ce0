/** `rnx workflow delete ID`: remove a finished workflow with its jobs and their logs. */
import { ClientCommand } from '../base';
import { Arg } from '../flags';

/** Delete a workflow. */
export class WorkflowDeleteCommand extends ClientCommand {
  static override paths = [['workflow', 'delete'], ['workflow', 'rm']];
  static override usage = ClientCommand.Usage({
    category: 'Workflows',
    description: 'Delete a finished workflow with its jobs and their logs',
    details: "A workflow that has not ended is refused: stop it first ('rnx workflow stop ID'). Jobs a rerun reused from an older workflow stay with that one. With --json: {id, deleted, deletedJobs}.",
    examples: [['Delete a workflow', 'rnx workflow delete 3f2a']],
  });

  id = Arg.required('ID', 'Workflow id or a unique prefix of 4+ characters');

  async run(): Promise<number> {
    const res = await this.withNode((c) => c.workflows.deleteWorkflow({ uuid: this.id }));
    if (this.wantJson) this.json({ id: res.uuid, deleted: res.deleted, deletedJobs: res.deletedJobs });
    else this.out(`Workflow ${res.uuid} deleted with ${res.deletedJobs} job${res.deletedJobs === 1 ? '' : 's'}`);
    return 0;
  }
}
