/**
 * From argv to a running command, with clipanion as the only parser. clipanion's own help and
 * error rendering is not used: `CMD --help` renders our help (help.ts), and a parse failure
 * becomes one line naming what is wrong and the closest known flag or command (exit 2).
 */
import { Cli } from 'clipanion';
import { trace } from '../shared/trace';
import { BaseCommand, reportError, UsageError, type CliContext } from './base';
import type { FlagSpec } from './flags';
import { commandHelp } from './help';
import { lookup, unknownMessage } from './lookup';
import { commandSpec, findCommand, usageLine, type CommandSpec, type Registry, type RnxCommandClass } from './spec';
import { closest } from './suggest';
import { colourFor, style } from './terminal';

/** Parse argv with clipanion and run what it names; returns the exit code. */
export async function dispatch(classes: RnxCommandClass[], argv: string[], ctx: CliContext): Promise<number> {
  const cli = new Cli<CliContext>({ binaryName: ctx.program });
  for (const c of candidates(classes, argv, ctx.registry)) cli.register(c as never);
  let command: unknown;
  try {
    command = cli.process(argv, ctx);
  } catch (err) {
    return parseFailure(err, argv, ctx);
  }
  trace('parsed');
  if (command instanceof BaseCommand) return command.validateAndExecute();
  // `CMD --help` (right after the command's path): clipanion hands back its help command, which
  // names the matching command classes.
  const help = command as { commands?: number[]; contexts?: { commandClass: RnxCommandClass }[] };
  const cls = help.contexts?.[help.commands?.[0] ?? -1]?.commandClass;
  // A parser-only form of a command (RunWithoutCommand) shows the help of the command it stands for.
  const shown = (cls as { helpAs?: RnxCommandClass } | undefined)?.helpAs ?? cls;
  const spec = ctx.registry.commands.find((s) => s.cls === shown) ?? (shown ? commandSpec(shown) : undefined);
  if (!spec) return reportError(new Error('help requested for an unknown command'), ctx);
  ctx.stdout.write(commandHelp(spec, ctx.registry.commands, style(colourFor(ctx.stdout, ctx.env))));
  return 0;
}

/**
 * The classes that can match argv: those whose path starts with its first command word (and the
 * catch-all), or all of them when no word is a command. clipanion compiles a state machine of
 * every registered command on each run, which costs more than the rest of rnx's start-up; a
 * command with another first word can never match anyway, so it need not be compiled.
 */
function candidates(classes: RnxCommandClass[], argv: string[], r: Registry): RnxCommandClass[] {
  const byWord = new Map<string, RnxCommandClass[]>();
  const always: RnxCommandClass[] = [];
  for (const c of classes) {
    const paths = c.paths ?? [[]];
    if (paths.some((p) => p.length === 0)) always.push(c);
    for (const w of new Set(paths.filter((p) => p.length).map((p) => p[0]!))) byWord.set(w, [...(byWord.get(w) ?? []), c]);
  }
  const valueFlags = new Set(r.commands.flatMap((s) => s.flags.filter((f) => f.kind !== 'boolean').flatMap((f) => f.names)));
  for (let i = 0; i < argv.length; ) {
    const a = argv[i]!;
    const matching = byWord.get(a);
    if (matching) return [...matching, ...always];
    if (!a.startsWith('-') || a === '-' || a === '--') break;
    i += valueFlags.has(a) ? 2 : 1;
  }
  return classes;
}

/** clipanion's "unknown syntax" error as one line naming the mistake. */
function parseFailure(err: unknown, argv: string[], ctx: CliContext): number {
  const e = err as { name?: string; candidates?: { usage: string; reason: string | null }[] };
  if (e?.name !== 'UnknownSyntaxError' && e?.name !== 'AmbiguousSyntaxError') return reportError(err, ctx);
  const words = commandWords(argv, ctx.registry);
  const found = findCommand(ctx.registry.commands, words);
  if (!found) {
    const l = lookup(words.length ? words : [''], ctx.registry);
    return reportError(new UsageError(l.kind === 'unknown' ? unknownMessage(l) : `cannot parse '${argv.join(' ')}'`, 'rnx help'), ctx);
  }
  const reason = e.candidates?.map((c) => c.reason).find((r): r is string => !!r) ?? '';
  const usageErr = explainReason(reason, found.spec, found.path);
  if (usageErr === 'help') {
    ctx.stdout.write(commandHelp(found.spec, ctx.registry.commands, style(colourFor(ctx.stdout, ctx.env))));
    return 0;
  }
  return reportError(usageErr, ctx, found.path);
}

const HELP = new Set(['-h', '--help']);

/** The message for one of clipanion's parse-failure reasons, or 'help' for a late `--help`. */
function explainReason(reason: string, spec: CommandSpec, path: string[]): UsageError | 'help' {
  const cmd = `'rnx ${path.join(' ')}'`;
  const token = /\("(.*)"\)\.$/s.exec(reason)?.[1];
  if (/^(Unsupported|Invalid) option name/.test(reason) && token !== undefined) {
    const name = token.includes('=') ? token.slice(0, token.indexOf('=')) : token;
    if (HELP.has(name)) return 'help';
    const flag = spec.flags.find((f) => f.names.includes(name));
    if (flag?.kind === 'boolean') return new UsageError(`${name} takes no value (it is on when given; ${flag.names.find((n) => n.startsWith('--')) ?? name} alone)`);
    if (flag) return new UsageError(`cannot read '${token}'`);
    const known = [...spec.flags.filter((f) => !f.hidden).flatMap((f) => f.names), '--help'];
    const s = closest(name, known);
    const verbatim = spec.args.find((a) => a.verbatim && a.required);
    const tail = verbatim ? ` Flags for the job go after ${verbatim.name}.` : '';
    return new UsageError(`unknown flag '${name}' for ${cmd}${s ? `; did you mean '${s}'?` : ''}${tail}`);
  }
  const arity = /^Not enough arguments to option (.*)\.$/.exec(reason);
  if (arity) {
    const flag: FlagSpec | undefined = spec.flags.find((f) => f.names.includes(arity[1]!));
    return new UsageError(`${arity[1]} needs a value${flag?.placeholder ? `: ${arity[1]} ${flag.placeholder}` : ''}`);
  }
  if (reason.startsWith('Not enough positional arguments')) {
    const missing = spec.args.filter((a) => a.required).map((a) => a.name);
    const verbatim = spec.args.find((a) => a.verbatim && a.required);
    const what = verbatim ? `no ${verbatim.name.toLowerCase()} given` : `missing ${missing.join(' and ') || 'argument'}`;
    return new UsageError(`${what}: ${usageLine(spec)}`);
  }
  if (reason.startsWith('Extraneous positional argument') && token !== undefined) {
    return new UsageError(`unexpected argument '${token}': ${usageLine(spec)}`);
  }
  return new UsageError(`cannot parse this command line (${reason || 'unknown syntax'}): ${usageLine(spec)}`);
}

/**
 * The words that name the command: skip leading flags (and the values of flags that take one),
 * then take the words up to the next flag. Only used to word error messages.
 */
function commandWords(argv: string[], r: Registry): string[] {
  const valueFlags = new Set(r.commands.flatMap((s) => s.flags.filter((f) => f.kind !== 'boolean').flatMap((f) => f.names)));
  let i = 0;
  while (i < argv.length && argv[i]!.startsWith('-') && argv[i] !== '-' && argv[i] !== '--') i += valueFlags.has(argv[i]!) ? 2 : 1;
  const words: string[] = [];
  for (; i < argv.length && !argv[i]!.startsWith('-'); i++) words.push(argv[i]!);
  return words;
}
