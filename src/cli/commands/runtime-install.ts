/** `rnx runtime install NAME [--force]`: build a built-in runtime on the server, showing its progress. */
import type { BuildResult } from '../../gen/joblet';
import { JobletError } from '../../shared/errors';
import { ClientCommand } from '../base';
import { Arg, Flag } from '../flags';
import { followBuild, resultLines } from '../runtime-format';

/** Install a built-in runtime. */
export class RuntimeInstallCommand extends ClientCommand {
  static override paths = [['runtime', 'install']];
  static override usage = ClientCommand.Usage({
    category: 'Runtimes',
    description: 'Install a built-in runtime from the server\'s distribution archive',
    details: `
      Built-ins: python-3.11-ml (python:3.11-ml), python-3.11 (python:3.11), openjdk-17 (openjdk:17, java:17),
      openjdk-21 (openjdk:21, java:21; only where the archive has it), nodejs-18 (nodejs:18, node:18). The server
      resolves the packages against its configured archive, installs them into a new root filesystem in a sandbox, and
      shows each phase and the package being installed. --force builds an installed runtime again (refused while jobs
      use it). --verbose shows every line of the build log. --json prints one JSON object per event.
    `,
    examples: [['Python with NumPy and pandas', 'rnx runtime install python:3.11-ml'], ['Again, from scratch', 'rnx runtime install java:17 --force']],
  });

  name = Arg.required('RUNTIME', 'Runtime name (python-3.11-ml), alias (python:3.11-ml) or NAME@VERSION', { complete: 'runtimes' });
  force = Flag.boolean('-f,--force', 'Build it again even when installed (refused while jobs use it)');
  verbose = Flag.boolean('-v,--verbose', 'Show every line of the build log');

  async run(): Promise<number> {
    return this.withNode(async (c) => {
      const { result, tail } = await followBuild(c.runtimes.installRuntime({ runtime: this.name, force: this.force }), { stdout: this.context.stdout, stderr: this.context.stderr, json: this.wantJson, verbose: this.verbose });
      return reportBuild(this, result, tail, { json: this.wantJson, verbose: this.verbose });
    });
  }
}

/**
 * Prints the end of an install or build and returns the exit code (shared with `rnx runtime
 * build`). A failure becomes the one-line error; without --verbose the last log lines come first.
 */
export function reportBuild(
  cmd: { context: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream } },
  result: BuildResult | undefined,
  tail: string[],
  o: { json: boolean; verbose: boolean },
): number {
  if (!result) throw new JobletError('INTERNAL', 'the server ended the build without a result');
  if (o.json) return result.success ? 0 : 1;
  const out = (s: string) => cmd.context.stdout.write(`${s}\n`);
  if (!result.success) {
    if (tail.length && !o.verbose) {
      out('Last lines of the build log:');
      for (const l of tail) out(`  ${l}`);
    }
    throw new JobletError('FAILED_PRECONDITION', result.message);
  }
  for (const l of resultLines(result)) out(l);
  return 0;
}
