/** `rnx workflow run FILE[:NAME]`: run a workflow of a YAML file (or put it on a cron schedule). */
import { InvalidArgumentError } from '../../shared/errors';
import { ClientCommand } from '../base';
import { Arg, Flag } from '../flags';
import { checkTiming, CONCURRENCY_MODES } from '../run-schedule';
import { readWorkflow } from '../workflow-file';
import { envFlags, submitWorkflow } from '../workflow-submit';

const SCHEDULING = { section: 'Scheduling' };

/** Run a workflow. */
export class WorkflowRunCommand extends ClientCommand {
  static override paths = [['workflow', 'run']];
  static override usage = ClientCommand.Usage({
    category: 'Workflows',
    description: 'Run a workflow from a YAML file: its jobs as one DAG (FILE:NAME picks a named workflow)',
    details: `
      The file is checked first — its format, requirements, cycles and upload files here, then volumes, networks,
      runtimes and limits on the server — and nothing runs unless every check passes ('rnx workflow validate' runs
      the checks alone). Files listed under uploads are sent from the file's directory. --env KEY=VALUE overrides the
      file's environment (and so its \${KEY} templates).

      Without --follow it prints the workflow's id and returns. With --follow it shows the workflow until it ends and
      exits 0 when it COMPLETED, 1 otherwise. --cron makes a recurring schedule that runs the whole workflow at each
      firing (see 'rnx schedule').
    `,
    examples: [
      ['Run a pipeline', 'rnx workflow run ml-pipeline.yaml'],
      ['Run and watch it until it ends', 'rnx workflow run --follow ml-pipeline.yaml'],
      ['One of the workflows of a file', 'rnx workflow run pipelines.yaml:nightly-etl'],
      ['Override a variable of its environment', 'rnx workflow run --env DATASET=2026-01 etl.yaml'],
      ['Every night at 03:00', "rnx workflow run --cron='0 3 * * *' --name=nightly-etl etl.yaml"],
    ],
  });

  env = Flag.list('-e,--env', 'KEY=VALUE', "Set a variable of the workflow's environment (overrides the file; fills ${KEY})");
  follow = Flag.boolean('-f,--follow', 'Show the workflow live until it ends; exit 1 unless it COMPLETED');
  cron = Flag.string('--cron', 'EXPR', "Run the whole workflow on a recurring schedule: 5 or 6 fields, @daily, '@every 90s'", SCHEDULING);
  cronTz = Flag.string('--cron-tz', 'ZONE', "IANA time zone of --cron (default: the server's)", SCHEDULING);
  concurrency = Flag.string('--concurrency', 'MODE', 'With --cron, when the previous run still runs: allow, forbid (skip) or replace (stop it)', { ...SCHEDULING, values: CONCURRENCY_MODES });
  name = Flag.string('--name', 'NAME', 'Name of the --cron schedule (unique)', SCHEDULING);

  file = Arg.required('FILE', 'The workflow file, or FILE:NAME for a workflow of its workflows: section');

  async run(): Promise<number> {
    const timing = { cron: this.cron, cronTz: this.cronTz, concurrency: this.concurrency, name: this.name };
    checkTiming(timing, this.follow);
    const w = readWorkflow(this.file);
    if (w.kind === 'job') throw new InvalidArgumentError(`'${w.name}' is a job of ${w.path}, not a workflow; run it alone with 'rnx run --workflow=${w.path}:${w.name}'`);
    const env = envFlags(this.env);
    return this.withNode((c) => submitWorkflow(c, w, { env, timing, follow: this.follow, json: this.wantJson, ctx: this.context }));
  }
}
