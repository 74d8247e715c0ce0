/**
 * Base of every command: global options, exit-code discipline and the one place where errors
 * become a single line on stderr (no stack traces for user errors).
 */
import { Command, Option } from 'clipanion';
import { JobletError, describeError } from '../shared/errors';

/** Context every command sees; output goes through it so tests can capture it. */
export interface CliContext {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** "rnx" or "joblet": prefixes error lines. */
  program: string;
}

/** A command that returns an exit code and prints user errors as one line. */
export abstract class BaseCommand extends Command<CliContext & { colorDepth: number; env: Record<string, string | undefined> }> {
  /** Do the work; return the exit code. */
  abstract run(): Promise<number>;

  async execute(): Promise<number> {
    try {
      return await this.run();
    } catch (err) {
      this.fail(err);
      return exitCodeFor(err);
    }
  }

  /** Print one error line: "<program>: <message>". */
  protected fail(err: unknown): void {
    this.context.stderr.write(`${this.context.program}: ${describeError(err)}\n`);
  }

  /** Print a line on stdout. */
  protected out(line = ''): void {
    this.context.stdout.write(line + '\n');
  }

  /** Print a value as indented JSON on stdout. */
  protected json(value: unknown): void {
    this.context.stdout.write(JSON.stringify(value, null, 2) + '\n');
  }
}

/** Options shared by every rnx command (they may also come before the command name). */
export abstract class ClientCommand extends BaseCommand {
  configPath = Option.String('--config', { description: 'Client config file (default: search $RNX_CONFIG, ./rnx-config.yml, ~/.rnx/rnx-config.yml, /etc/joblet/rnx-config.yml, /opt/joblet/config/rnx-config.yml)' });
  node = Option.String('--node', { description: 'Node name from the client config (default: default)' });
  jsonOutput = Option.Boolean('--json', false, { description: 'Machine-readable JSON output' });
}

/** Exit code for an error: 2 for configuration problems and bad input, 1 otherwise. */
export function exitCodeFor(err: unknown): number {
  if (err instanceof JobletError && err.code === 'CONFIG') return 2;
  return 1;
}
