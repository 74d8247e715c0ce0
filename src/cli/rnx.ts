/**
 * The rnx client: the list of commands and the start of every run.
 *
 * Adding a command: write one class in src/cli/commands/NAME.ts extending ClientCommand (talks to
 * a server; has --config/--node/--json) or BaseCommand, with
 *   static paths = [['runtime', 'list'], ['runtime', 'ls']];   // first = canonical, others = aliases
 *   static usage = ClientCommand.Usage({ category, description, details, examples: [[label, 'rnx …']] });
 *   flags and arguments declared with Flag.* and Arg.* from ./flags (placeholder + one-line description);
 *   async run(): Promise<number>   // return the exit code, throw JobletError/UsageError for failures
 * and add the class to COMMANDS below, in the order `rnx help` should list it. A path of two words
 * makes its first word a group: `rnx runtime` then shows the group's help by itself (and the
 * entry of NOT_YET_GROUPS below stops mattering; delete it). Help, errors with "did you mean",
 * and the README's command list (checked by tests/unit/cli-help.test.ts) follow from the class.
 *
 * Adding a flag to `rnx run`: one line in src/cli/commands/run.ts,
 *   cron = Flag.string('--cron', 'SPEC', 'Run on a cron schedule, e.g. "0 * * * *"');
 * then use `this.cron` in run(). A feature's flag that is declared with Flag.notYet there is
 * replaced by that line when the feature lands.
 */
import { Cli } from 'clipanion';
import { reportError, type CliContext } from './base';
import { AdminCommand } from './commands/admin';
import { ConfigHelpCommand } from './commands/config-help';
import { DeleteCommand } from './commands/delete';
import { groupCommand, notYetGroupCommand } from './commands/group';
import { HelpCommand } from './commands/help';
import { ListCommand } from './commands/list';
import { LogCommand } from './commands/log';
import { McpCommand } from './commands/mcp';
import { NetworkCreateCommand } from './commands/network-create';
import { NetworkListCommand } from './commands/network-list';
import { NetworkRemoveCommand } from './commands/network-remove';
import { NodesCommand } from './commands/nodes';
import { RootCommand } from './commands/root';
import { RunCommand, RunWithoutCommand } from './commands/run';
import { RuntimeBuildCommand } from './commands/runtime-build';
import { RuntimeInfoCommand } from './commands/runtime-info';
import { RuntimeInstallCommand } from './commands/runtime-install';
import { RuntimeListCommand } from './commands/runtime-list';
import { RuntimeRemoveCommand } from './commands/runtime-remove';
import { RuntimeTestCommand } from './commands/runtime-test';
import { RuntimeValidateCommand } from './commands/runtime-validate';
import { InspectCommand, StatusCommand } from './commands/status';
import { StopCommand } from './commands/stop';
import { VersionCommand } from './commands/version';
import { VolumeCreateCommand } from './commands/volume-create';
import { VolumeListCommand } from './commands/volume-list';
import { VolumeRemoveCommand } from './commands/volume-remove';
import { CancelCommand } from './commands/cancel';
import { CompletionCommand } from './commands/completion';
import { ScheduleListCommand } from './commands/schedule-list';
import { SchedulePauseCommand } from './commands/schedule-pause';
import { ScheduleResumeCommand } from './commands/schedule-resume';
import { ScheduleRemoveCommand } from './commands/schedule-remove';
import { JobMetricsCommand } from './commands/job-metrics';
import { MonitorStatusCommand } from './commands/monitor-status';
import { MonitorTopCommand } from './commands/monitor-top';
import { MonitorWatchCommand } from './commands/monitor-watch';
import { WorkflowRunCommand } from './commands/workflow-run';
import { WorkflowValidateCommand } from './commands/workflow-validate';
import { WorkflowListCommand } from './commands/workflow-list';
import { WorkflowStatusCommand } from './commands/workflow-status';
import { WorkflowStopCommand } from './commands/workflow-stop';
import { WorkflowRerunCommand } from './commands/workflow-rerun';
import { WorkflowDeleteCommand } from './commands/workflow-delete';
import { dispatch } from './dispatch';
import { commandSpec, groups, type Registry, type RnxCommandClass } from './spec';
import { exitQuietlyOnClosedPipe } from './terminal';

/** Every command, in the order `rnx help` lists them (within each category). */
export const COMMANDS: RnxCommandClass[] = [
  RunCommand,
  ListCommand,
  StatusCommand,
  InspectCommand,
  LogCommand,
  StopCommand,
  CancelCommand,
  DeleteCommand,
  ScheduleListCommand,
  SchedulePauseCommand,
  ScheduleResumeCommand,
  ScheduleRemoveCommand,
  JobMetricsCommand,
  MonitorStatusCommand,
  MonitorTopCommand,
  MonitorWatchCommand,
  WorkflowRunCommand,
  WorkflowValidateCommand,
  WorkflowListCommand,
  WorkflowStatusCommand,
  WorkflowStopCommand,
  WorkflowRerunCommand,
  WorkflowDeleteCommand,
  VolumeCreateCommand,
  VolumeListCommand,
  VolumeRemoveCommand,
  NetworkCreateCommand,
  NetworkListCommand,
  NetworkRemoveCommand,
  RuntimeListCommand,
  RuntimeInfoCommand,
  RuntimeInstallCommand,
  RuntimeTestCommand,
  RuntimeRemoveCommand,
  RuntimeBuildCommand,
  RuntimeValidateCommand,
  AdminCommand,
  McpCommand,
  NodesCommand,
  CompletionCommand,
  ConfigHelpCommand,
  VersionCommand,
  HelpCommand,
];

/** Groups a later release brings, and the feature each is: `rnx runtime` says so instead of "unknown command". */
export const NOT_YET_GROUPS: Record<string, string> = {
};

/** The registry of this build: specs of every command, the groups, the groups not built yet. */
export function registry(): Registry {
  const commands = COMMANDS.map((c) => commandSpec(c));
  const grouped = groups(commands);
  const notYet = Object.fromEntries(Object.entries(NOT_YET_GROUPS).filter(([g]) => !grouped.has(g)));
  return { commands, groups: grouped, notYet };
}

/** The classes clipanion parses with: the commands, a command per group word, and the catch-all. */
function parserClasses(r: Registry): RnxCommandClass[] {
  return [
    ...COMMANDS,
    RunWithoutCommand,
    ...[...r.groups.keys()].map(groupCommand),
    ...Object.entries(r.notYet).map(([g, feature]) => notYetGroupCommand(g, feature)),
    RootCommand as unknown as RnxCommandClass,
  ];
}

/** Run rnx with argv (without node and script); returns the exit code. */
export async function runClient(
  argv: string[],
  io: { stdin: NodeJS.ReadableStream; stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream } = process,
  env: NodeJS.ProcessEnv = process.env,
  exit: (code: number) => void = (code) => process.exit(code),
): Promise<number> {
  exitQuietlyOnClosedPipe([io.stdout, io.stderr], exit);
  const r = registry();
  const ctx = { ...Cli.defaultContext, ...io, env, colorDepth: 1, program: 'rnx', registry: r } as CliContext;
  try {
    return await dispatch(parserClasses(r), argv, ctx);
  } catch (err) {
    return reportError(err, ctx);
  }
}
