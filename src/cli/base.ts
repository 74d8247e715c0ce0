/**
 * Base of every command: exit-code discipline, refusal of flags of features this release does not
 * have, and the one place where errors become a single line on stderr. ClientCommand adds the
 * global flags (--config, --node, --json) and the connection to a node.
 */
import { Command, type BaseContext } from 'clipanion';
import { JobletError, describeError } from '../shared/errors';
import { trace } from '../shared/trace';
import type { Connection } from './client';
import { Flag, GLOBAL_SECTION } from './flags';
import { commandSpec, type Registry, type RnxCommandClass } from './spec';
import { colourFor, debugEnabled, debugVariable, EXIT_INTERNAL, style, type Style } from './terminal';

/** Context every command sees: clipanion's streams, the program name that prefixes errors, every command. */
export type CliContext = BaseContext & { program: string; registry: Registry };

/** Exit status for misuse: an unknown command or flag, a missing argument. */
export const EXIT_USAGE = 2;

/** A mistake in how rnx was called; printed with a pointer to the command's help, exit 2. */
export class UsageError extends Error {
  /** `help`: the command line that explains the right usage (default: the command's --help). */
  constructor(
    message: string,
    readonly help?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A command that returns an exit code and prints errors as one line. */
export abstract class BaseCommand extends Command<CliContext> {
  /** Do the work; return the exit code. */
  abstract run(): Promise<number>;

  async execute(): Promise<number> {
    try {
      this.refuseLaterFeatures();
      return await this.run();
    } catch (err) {
      return reportError(err, this.context, this.path);
    }
  }

  /** Flags declared with Flag.notYet are refused by name, never ignored. */
  private refuseLaterFeatures(): void {
    for (const f of commandSpec(this.constructor as RnxCommandClass, { lenient: true }).flags) {
      const value = (this as unknown as Record<string, unknown>)[f.key];
      if (f.notYet && value !== undefined && value !== false) {
        throw new JobletError('UNIMPLEMENTED', `${f.names[f.names.length - 1]} (${f.notYet}) is not available in this release of joblet`);
      }
    }
  }

  /** Decorations for stdout: bold headings on a terminal, nothing when piped or with NO_COLOR. */
  protected get style(): Style {
    return style(colourFor(this.context.stdout, this.context.env));
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

/** Flags shared by every command that talks to a server (they may also come before the command name). */
export abstract class ClientCommand extends BaseCommand {
  configPath = Flag.string('--config', 'PATH', "Client config file (default: $RNX_CONFIG, then the places 'rnx config-help' lists)", { section: GLOBAL_SECTION });
  node = Flag.string('--node', 'NAME', 'Node of the client config to use (default: the default node)', { section: GLOBAL_SECTION });
  jsonOutput = Flag.boolean('--json', 'Print machine-readable JSON (see README, JSON output)', { section: GLOBAL_SECTION });

  /** Was --json given? */
  protected get wantJson(): boolean {
    return this.jsonOutput;
  }

  /** Run `fn` with a connection to the chosen node; gRPC failures become clear errors. */
  protected async withNode<T>(fn: (c: Connection) => Promise<T>): Promise<T> {
    // Lazy: commands that need no server (nodes, config-help, help) never load gRPC.
    const { connect, explain } = require('./client') as typeof import('./client');
    trace('client layer loaded');
    const conn = connect({ config: this.configPath, node: this.node, env: this.context.env });
    trace('channel made');
    try {
      const result = await fn(conn);
      trace('calls done');
      return result;
    } catch (err) {
      throw explain(err, conn);
    } finally {
      conn.close();
    }
  }
}

/** Node's own errors that carry a user-facing message (a file that does not exist, a denied open). */
function isSystemError(err: unknown): err is NodeJS.ErrnoException {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string' && typeof (err as NodeJS.ErrnoException).syscall === 'string';
}

/**
 * Print an error as one line on stderr and return the exit status: 2 for misuse and configuration
 * problems, 1 for refusals and failures, 70 for a bug in rnx (one line too; the stack trace only
 * with RNX_DEBUG=1).
 */
export function reportError(err: unknown, ctx: Pick<CliContext, 'stderr' | 'env' | 'program'>, path: string[] = []): number {
  const p = ctx.program;
  if (err instanceof UsageError) {
    const help = err.help ?? (path.length ? `${p} ${path.join(' ')} --help` : `${p} help`);
    ctx.stderr.write(`${p}: ${err.message} (see '${help}')\n`);
    return EXIT_USAGE;
  }
  if (err instanceof JobletError || isSystemError(err)) {
    ctx.stderr.write(`${p}: ${describeError(err)}\n`);
    if (debugEnabled(ctx.env, p) && err instanceof Error && err.stack) ctx.stderr.write(`${err.stack}\n`);
    return exitCodeFor(err);
  }
  const message = describeError(err).split('\n')[0];
  if (debugEnabled(ctx.env, p)) ctx.stderr.write(`${p}: internal error: ${err instanceof Error ? (err.stack ?? message) : message}\n`);
  else ctx.stderr.write(`${p}: internal error: ${message} (run again with ${debugVariable(p)}=1 for details, and please report it)\n`);
  return EXIT_INTERNAL;
}

/** Exit code for an error: 2 for configuration problems, 1 otherwise. */
export function exitCodeFor(err: unknown): number {
  if (err instanceof JobletError && err.code === 'CONFIG') return EXIT_USAGE;
  return 1;
}
