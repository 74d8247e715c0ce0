/** `rnx help [COMMAND...]`: help for rnx, a group or a command. */
import { ClientCommand, UsageError } from '../base';
import { Arg } from '../flags';
import { commandHelp, generalHelp, groupHelp } from '../help';
import { lookup, notYetMessage, unknownMessage } from '../lookup';
import { JobletError } from '../../shared/errors';

/** Show help. A ClientCommand only so that global flags before it (`rnx --config X help`) are accepted. */
export class HelpCommand extends ClientCommand {
  static override paths = [['help']];
  static override usage = ClientCommand.Usage({
    category: 'Client',
    description: 'Show help for rnx, a group of commands or a command',
    examples: [
      ['Every command', 'rnx help'],
      ['One command, with its flags and examples', 'rnx help run'],
      ['A group of commands', 'rnx help volume'],
    ],
  });

  words = Arg.verbatim('COMMAND', 'The command or group to explain (none: every command)', { complete: 'commands' });

  async run(): Promise<number> {
    const r = this.context.registry;
    const words = this.words.filter((w) => w !== '-h' && w !== '--help');
    if (words.length === 0) {
      this.context.stdout.write(this.words.length ? commandHelp(r.commands.find((c) => c.cls === HelpCommand)!, r.commands, this.style) : generalHelp(r.commands, this.style));
      return 0;
    }
    const found = lookup(words, r);
    switch (found.kind) {
      case 'command':
        this.context.stdout.write(commandHelp(found.spec, r.commands, this.style));
        return 0;
      case 'group':
        this.context.stdout.write(groupHelp(found.name, found.members, this.style));
        return 0;
      case 'notYet':
        throw new JobletError('UNIMPLEMENTED', notYetMessage(found));
      case 'unknown':
        throw new UsageError(unknownMessage(found), 'rnx help');
    }
  }
}
