/** The joblet admin program: the daemon and its tooling. */
import { Builtins, Cli } from 'clipanion';
import { version } from '../shared/version';
import type { CliContext } from './base';
import { InitCommand } from './admin/init';
import { ServeCommand } from './admin/serve';

/** Run `joblet` with argv (without node and script); returns the exit code. */
export async function runAdmin(argv: string[], io = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  if (argv[0] === '--version' || argv[0] === '-v') {
    io.stdout.write(`joblet ${version()}\n`);
    return 0;
  }
  const cli = new Cli<CliContext>({ binaryLabel: 'joblet — secure job execution daemon', binaryName: 'joblet', binaryVersion: version() });
  cli.register(ServeCommand);
  cli.register(InitCommand);
  cli.register(Builtins.HelpCommand);
  cli.register(Builtins.VersionCommand);
  return cli.run(argv, { ...Cli.defaultContext, ...io, program: 'joblet', registry: { commands: [], groups: new Map(), notYet: {} } });
}
