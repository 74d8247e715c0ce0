/** `rnx network remove NAME`: delete a custom network (refused for built-ins and while jobs use it). */
import { Option } from 'clipanion';
import { ClientCommand } from '../base';

/** Remove a network. */
export class NetworkRemoveCommand extends ClientCommand {
  static override paths = [['network', 'remove'], ['network', 'rm']];
  static override usage = ClientCommand.Usage({
    description: 'Remove a custom network',
    details: 'Refused for the built-in networks (none, isolated, bridge) and while a running job uses the network.',
    examples: [['Remove network backend', 'rnx network remove backend']],
  });

  name = Option.String({ name: 'name' });

  async run(): Promise<number> {
    await this.withNode((c) => c.networks.removeNetwork({ name: this.name }));
    if (this.wantJson) this.json({ name: this.name, removed: true });
    else this.out(`Network '${this.name}' removed`);
    return 0;
  }
}
