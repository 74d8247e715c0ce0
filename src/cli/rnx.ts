/** The rnx client: command registry and dispatch. */
import { Builtins, Cli } from 'clipanion';
import { describeError } from '../shared/errors';
import { version } from '../shared/version';
import type { CliContext } from './base';
import { exitCodeFor } from './base';
import { ConfigHelpCommand } from './commands/config-help';
import { DeleteCommand } from './commands/delete';
import { ListCommand } from './commands/list';
import { LogCommand } from './commands/log';
import { NetworkCreateCommand } from './commands/network-create';
import { NetworkListCommand } from './commands/network-list';
import { NetworkRemoveCommand } from './commands/network-remove';
import { NodesCommand } from './commands/nodes';
import { RunCommand } from './commands/run';
import { StatusCommand } from './commands/status';
import { StopCommand } from './commands/stop';
import { VolumeCreateCommand } from './commands/volume-create';
import { VolumeListCommand } from './commands/volume-list';
import { VolumeRemoveCommand } from './commands/volume-remove';
import { setGlobalOptions, takeGlobalOptions } from './globals';
import { MONITORING_COMMANDS } from './monitoring-commands';

/** Run rnx with argv (without node and script); returns the exit code. */
export async function runClient(argv: string[], io = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  let rest: string[];
  try {
    const taken = takeGlobalOptions(argv);
    setGlobalOptions(taken.globals);
    rest = taken.rest;
    if (taken.globals.version) {
      io.stdout.write(`rnx ${version()}\n`);
      return 0;
    }
  } catch (err) {
    io.stderr.write(`rnx: ${describeError(err)}\n`);
    return exitCodeFor(err);
  }
  const cli = new Cli<CliContext>({ binaryLabel: 'rnx — joblet client', binaryName: 'rnx', binaryVersion: version() });
  for (const c of [RunCommand, ListCommand, StatusCommand, LogCommand, StopCommand, DeleteCommand, NodesCommand, ConfigHelpCommand]) cli.register(c);
  for (const c of [VolumeCreateCommand, VolumeListCommand, VolumeRemoveCommand]) cli.register(c);
  for (const c of [NetworkCreateCommand, NetworkListCommand, NetworkRemoveCommand]) cli.register(c);
  for (const c of MONITORING_COMMANDS) cli.register(c);
  cli.register(Builtins.HelpCommand);
  cli.register(Builtins.VersionCommand);
  return cli.run(rest, { ...Cli.defaultContext, ...io, program: 'rnx' });
}
