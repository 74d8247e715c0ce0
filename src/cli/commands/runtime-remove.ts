/** `rnx runtime remove NAME[@VERSION]`: delete a runtime (every version without @VERSION). */
import { Option } from 'clipanion';
import { formatSize } from '../../shared/limits';
import { ClientCommand } from '../base';

/** Remove a runtime. */
export class RuntimeRemoveCommand extends ClientCommand {
  static override paths = [['runtime', 'remove'], ['runtime', 'rm']];
  static override usage = ClientCommand.Usage({
    description: 'Remove a runtime from the server (every version, or NAME@VERSION); refused while a job uses it',
    examples: [['Remove', 'rnx runtime remove python-3.11-ml'], ['One version', 'rnx runtime remove my-runtime@1.0.0']],
  });

  name = Option.String({ name: 'runtime' });

  async run(): Promise<number> {
    const r = await this.withNode((c) => c.runtimes.removeRuntime({ runtime: this.name }));
    if (this.wantJson) {
      this.json({ removed: r.removed, freedBytes: r.freedSpaceBytes });
      return 0;
    }
    this.out(`Removed ${r.removed.join(', ')}; freed ${formatSize(r.freedSpaceBytes)}`);
    return 0;
  }
}
