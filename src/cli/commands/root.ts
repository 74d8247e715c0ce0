/**
 * What runs when no command matches: bare `rnx` and `rnx --help` show the help; anything else is
 * an unknown command or an unknown global flag, named with the closest known one (exit 2).
 */
import { JobletError } from '../../shared/errors';
import { BaseCommand, UsageError } from '../base';
import { Arg } from '../flags';
import { commandHelp, generalHelp, groupHelp } from '../help';
import { lookup, notYetMessage, unknownMessage } from '../lookup';
import { globalFlags } from '../spec';
import { closest } from '../suggest';

const HELP = new Set(['-h', '--help']);

/** The catch-all: clipanion picks it only when no command path matches. */
export class RootCommand extends BaseCommand {
  static override paths = [[]];
  words = Arg.verbatim('ARGS', 'Anything that is not a command');

  async run(): Promise<number> {
    const r = this.context.registry;
    const w = this.words;
    const globals = globalFlags(r.commands);
    let i = 0;
    for (; i < w.length && w[i]!.startsWith('-') && w[i] !== '-'; i++) {
      const name = w[i]!.split('=')[0]!;
      if (HELP.has(name)) return this.showHelp(w.slice(i + 1).filter((x) => !x.startsWith('-')));
      const flag = globals.find((f) => f.names.includes(name));
      if (!flag) {
        const known = [...globals.flatMap((f) => f.names), '--help', '--version'];
        const s = closest(name, known);
        throw new UsageError(`unknown flag '${name}'${s ? `; did you mean '${s}'?` : ''}`, 'rnx help');
      }
      if (flag.kind !== 'boolean' && !w[i]!.includes('=')) {
        if (i + 1 >= w.length) throw new UsageError(`${name} needs a value: ${name} ${flag.placeholder}`, 'rnx help');
        i++;
      }
    }
    const rest = w.slice(i);
    if (w.length === 0) return this.showHelp([]);
    if (rest.length === 0) throw new UsageError('no command given', 'rnx help');
    const l = lookup(rest, r);
    if (l.kind === 'group') {
      this.context.stdout.write(groupHelp(l.name, l.members, this.style));
      return 0;
    }
    if (l.kind === 'notYet') throw new JobletError('UNIMPLEMENTED', notYetMessage(l));
    if (l.kind === 'command') throw new UsageError(`'rnx ${l.spec.path.join(' ')}' does not take the flags given before it`, `rnx ${l.spec.path.join(' ')} --help`);
    throw new UsageError(unknownMessage(l), 'rnx help');
  }

  /** The general help, or that of the command named after `--help` (`rnx --help run`). */
  private showHelp(words: string[]): number {
    const r = this.context.registry;
    const l = words.length ? lookup(words, r) : undefined;
    if (l?.kind === 'command') this.context.stdout.write(commandHelp(l.spec, r.commands, this.style));
    else if (l?.kind === 'group') this.context.stdout.write(groupHelp(l.name, l.members, this.style));
    else this.context.stdout.write(generalHelp(r.commands, this.style));
    return 0;
  }
}
