/** `rnx network remove NAME`: delete a custom network (refused for built-ins and while jobs use it). */
import { ClientCommand } from '../base';
import { Arg } from '../flags';

/** Remove a network. */
export class NetworkRemoveCommand extends ClientCommand {
  static override paths = [['network', 'remove'], ['network', 'rm']];
  static override usage = ClientCommand.Usage({
    category: 'Networks',
    description: 'Remove a custom network',
    details: 'Refused for the built-in networks (none, isolated, bridge) and while a running job uses the network. With --json: {name, removed}.',
    examples: [['Remove network backend', 'rnx network remove backend']],
  });

  name = Arg.required('NAME', 'The network to remove', { complete: 'networks' });

  async run(): Promise<number> {
    await this.withNode((c) => c.networks.removeNetwork({ name: this.name }));
    if (this.wantJson) this.json({ name: this.name, removed: true });
    else this.out(`Network '${this.name}' removed`);
    return 0;
  }
}
