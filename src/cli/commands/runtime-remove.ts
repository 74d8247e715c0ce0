/** `rnx runtime remove NAME[@VERSION]`: delete a runtime (every version without @VERSION). */
import { formatSize } from '../../shared/limits';
import { ClientCommand } from '../base';
import { Arg } from '../flags';

/** Remove a runtime. */
export class RuntimeRemoveCommand extends ClientCommand {
  static override paths = [['runtime', 'remove'], ['runtime', 'rm']];
  static override usage = ClientCommand.Usage({
    category: 'Runtimes',
    description: 'Remove a runtime (every version, or NAME@VERSION); refused while a job uses it',
    examples: [['Remove', 'rnx runtime remove python-3.11-ml'], ['One version', 'rnx runtime remove my-runtime@1.0.0']],
  });

  name = Arg.required('RUNTIME', 'Runtime name (python-3.11-ml), alias (python:3.11-ml) or NAME@VERSION', { complete: 'runtimes' });

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
