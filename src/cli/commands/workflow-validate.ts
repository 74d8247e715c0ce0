/** `rnx workflow validate FILE[:NAME]`: every check of `rnx workflow run`, and nothing runs. */
import { InvalidArgumentError } from '../../shared/errors';
import { formatProblem } from '../../shared/workflow/problems';
import { ClientCommand } from '../base';
import { Arg, Flag } from '../flags';
import { localPlan, readWorkflow } from '../workflow-file';
import { envFlags, workflowRequest } from '../workflow-submit';

/** Validate a workflow file. */
export class WorkflowValidateCommand extends ClientCommand {
  static override paths = [['workflow', 'validate']];
  static override usage = ClientCommand.Usage({
    category: 'Workflows',
    description: 'Check a workflow file without running it: every problem, with its line and key',
    details: `
      Checks the format (unknown keys, types, limits in range), the requirements (jobs that do not exist, cycles such as
      a → b → a), the \${VAR} templates and the upload files here, then asks the server about what only it knows:
      volumes, networks and runtimes that do not exist, limits beyond its ceilings. --local skips the server.
      Exit 0 when valid; 1 with every problem listed, one per line. With --json:
      {valid, file, workflow, jobs, order, problems}.
    `,
    examples: [
      ['Check a pipeline', 'rnx workflow validate ml-pipeline.yaml'],
      ['Only the checks that need no server', 'rnx workflow validate --local ml-pipeline.yaml'],
    ],
  });

  env = Flag.list('-e,--env', 'KEY=VALUE', "Set a variable of the workflow's environment, as 'rnx workflow run --env' does");
  local = Flag.boolean('--local', 'Only the checks that need no server (format, requirements, cycles, upload files)');
  file = Arg.required('FILE', 'The workflow file, or FILE:NAME for a workflow of its workflows: section');

  async run(): Promise<number> {
    const w = readWorkflow(this.file);
    if (w.kind === 'job') throw new InvalidArgumentError(`'${w.name}' is a job of ${w.path}, not a workflow`);
    const env = envFlags(this.env);
    const local = localPlan(w, env);
    let problems = local.problems.map(formatProblem);
    let name = local.plan?.name ?? '';
    let order = local.plan?.order ?? [];
    if (problems.length === 0 && !this.local) {
      const r = await this.withNode((c) => c.workflows.validateWorkflow(workflowRequest(w, env)));
      problems = r.problems;
      name = r.name || name;
      order = r.jobOrder.length ? r.jobOrder : order;
    }
    const valid = problems.length === 0;
    if (this.wantJson) {
      this.json({ valid, file: w.path, workflow: name, jobs: local.plan?.jobs.length ?? 0, order, problems });
      return valid ? 0 : 1;
    }
    if (valid) {
      this.out(`${w.path}: valid${this.local ? ' (checked here only: --local)' : ''}`);
      this.out(`Workflow: ${name}, ${order.length} job${order.length === 1 ? '' : 's'}`);
      this.out(`Run order: ${order.join(', ')}`);
      return 0;
    }
    for (const p of problems) this.out(p);
    this.context.stderr.write(`rnx: ${w.path} is not valid: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n`);
    return 1;
  }
}
