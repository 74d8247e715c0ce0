/**
 * Base of every command: global options, exit-code discipline and the one place where errors
 * become a single line on stderr (no stack traces for user errors).
 */
import { Command, Option, type BaseContext } from 'clipanion';
import { JobletError, describeError } from '../shared/errors';
import { globalOptions } from './globals';
import type { Connection } from './client';

/** Context every command sees: clipanion's streams plus the program name that prefixes errors. */
export type CliContext = BaseContext & { program: string };

/** A command that returns an exit code and prints user errors as one line. */
export abstract class BaseCommand extends Command<CliContext> {
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

  /** --json given before or after the command name. */
  protected get wantJson(): boolean {
    return this.jsonOutput || globalOptions().json;
  }

  /** Run `fn` with a connection to the chosen node; gRPC failures become clear errors. */
  protected async withNode<T>(fn: (c: Connection) => Promise<T>): Promise<T> {
    // Lazy: commands that need no server (nodes, config-help) never load gRPC.
    const { connect, explain } = require('./client') as typeof import('./client');
    const conn = connect({ config: this.configPath, node: this.node });
    try {
      return await fn(conn);
    } catch (err) {
      throw explain(err, conn);
    } finally {
      conn.close();
    }
  }
}

/** Exit code for an error: 2 for configuration problems and bad input, 1 otherwise. */
export function exitCodeFor(err: unknown): number {
  if (err instanceof JobletError && err.code === 'CONFIG') return 2;
  return 1;
}
