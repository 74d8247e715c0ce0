/** `rnx volume remove NAME`: delete a volume and its data (refused while a running job uses it). */
import { Option } from 'clipanion';
import { checkVolumeName } from '../../shared/volumes';
import { ClientCommand } from '../base';

/** Remove a volume. */
export class VolumeRemoveCommand extends ClientCommand {
  static override paths = [['volume', 'remove'], ['volume', 'rm']];
  static override usage = ClientCommand.Usage({
    description: 'Remove a volume and everything stored in it',
    details: 'Refused while a running job uses the volume: stop the job or wait for it to end.',
    examples: [['Remove volume data', 'rnx volume remove data']],
  });

  name = Option.String({ name: 'name' });

  async run(): Promise<number> {
    checkVolumeName(this.name);
    await this.withNode((c) => c.volumes.removeVolume({ name: this.name }));
    if (this.wantJson) this.json({ name: this.name, removed: true });
    else this.out(`Volume '${this.name}' removed successfully`);
    return 0;
  }
}
