/**
 * Commands made from the registry rather than written by hand: a bare group name (`rnx volume`)
 * shows the group's help, and the name of a group a later release brings (`rnx runtime`) says so.
 * A group exists as soon as a command's path starts with its word, so adding `runtime list`
 * makes `rnx runtime` show help by itself.
 */
import { JobletError } from '../../shared/errors';
import { BaseCommand, UsageError } from '../base';
import { Arg } from '../flags';
import { groupHelp } from '../help';
import { lookup, notYetMessage, unknownMessage } from '../lookup';
import { allPaths, type RnxCommandClass } from '../spec';

/** `rnx NAME [WORD]`: the group's help, or "unknown command 'NAME WORD'; did you mean …". */
export function groupCommand(name: string): RnxCommandClass {
  return class GroupCommand extends BaseCommand {
    static override paths = [[name]];
    rest = Arg.verbatim('COMMAND', `A command of the ${name} group`);

    async run(): Promise<number> {
      const r = this.context.registry;
      const members = r.groups.get(name)!;
      const [first] = this.rest;
      if (first === undefined || first === '-h' || first === '--help') {
        this.context.stdout.write(groupHelp(name, members, this.style));
        return 0;
      }
      if (first.startsWith('-')) {
        const subs = members.flatMap((s) => allPaths(s).filter((p) => p[0] === name && p.length > 1).slice(0, 1).map((p) => p[1]));
        throw new UsageError(`'rnx ${name}' needs a command first: ${subs.join(', ')}`, `rnx ${name} --help`);
      }
      const l = lookup([name, first], r);
      throw new UsageError(l.kind === 'unknown' ? unknownMessage(l) : `unknown command '${name} ${first}'`, `rnx ${name} --help`);
    }
  } as unknown as RnxCommandClass;
}

/** `rnx NAME ...` for a group of a later release: refused naming the feature (exit 1). */
export function notYetGroupCommand(name: string, feature: string): RnxCommandClass {
  return class NotYetGroupCommand extends BaseCommand {
    static override paths = [[name]];
    rest = Arg.verbatim('ARGS', 'Ignored');

    async run(): Promise<number> {
      const l = lookup([name], { ...this.context.registry, groups: new Map() });
      throw new JobletError('UNIMPLEMENTED', l.kind === 'notYet' ? notYetMessage(l) : `'rnx ${name}' (${feature}) is not available in this release of joblet`);
    }
  } as unknown as RnxCommandClass;
}
