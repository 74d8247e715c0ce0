/** `rnx volume remove NAME`: delete a volume and its data (refused while a running job uses it). */
import { checkVolumeName } from '../../shared/volumes';
import { ClientCommand } from '../base';
import { Arg } from '../flags';

/** Remove a volume. */
export class VolumeRemoveCommand extends ClientCommand {
  static override paths = [['volume', 'remove'], ['volume', 'rm']];
  static override usage = ClientCommand.Usage({
    category: 'Volumes',
    description: 'Remove a volume and everything stored in it',
    details: 'Refused while a running job uses the volume: stop the job or wait for it to end. With --json: {name, removed}.',
    examples: [['Remove volume data', 'rnx volume remove data']],
  });

  name = Arg.required('NAME', 'The volume to remove', { complete: 'volumes' });

  async run(): Promise<number> {
    checkVolumeName(this.name);
    await this.withNode((c) => c.volumes.removeVolume({ name: this.name }));
    if (this.wantJson) this.json({ name: this.name, removed: true });
    else this.out(`Volume '${this.name}' removed successfully`);
    return 0;
  }
}
