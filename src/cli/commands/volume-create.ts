/** `rnx volume create NAME --size=SIZE [--type=filesystem|memory]`: a volume jobs can mount. */
import { checkVolumeName, parseVolumeSize, parseVolumeType } from '../../shared/volumes';
import { ClientCommand } from '../base';
import { Arg, Flag } from '../flags';

/** Create a volume. */
export class VolumeCreateCommand extends ClientCommand {
  static override paths = [['volume', 'create']];
  static override usage = ClientCommand.Usage({
    category: 'Volumes',
    description: 'Create a volume that jobs mount at /volumes/NAME',
    details: `
      --size is required: 500MB, 1GB, 1.5GB (1024-based). A filesystem volume (the default) is an ext4 image whose size
      is enforced (a job writing past it gets "No space left on device"); its data is kept across jobs and daemon
      restarts. A memory volume is a tmpfs in the server's RAM: fast, kept across jobs, but empty again whenever the
      daemon restarts. Jobs mount it with rnx run --volume=NAME. With --json: {name, size, type, path}.
    `,
    examples: [
      ['A 1 GB volume on disk', 'rnx volume create data --size=1GB'],
      ['A 256 MB volume in RAM', 'rnx volume create scratch --size=256MB --type=memory'],
    ],
  });

  size = Flag.string('--size', 'SIZE', 'Size, e.g. 500MB or 1GB (required)');
  type = Flag.stringWithDefault('--type', 'TYPE', 'filesystem', 'filesystem (an ext4 image, persistent; the default) or memory (a tmpfs)', { values: ['filesystem', 'memory'] });
  name = Arg.required('NAME', '1-63 letters, digits, _ and -, starting with a letter or digit');

  async run(): Promise<number> {
    // Checked here too, so a typo costs no round trip; the server checks again.
    checkVolumeName(this.name);
    parseVolumeSize(this.size ?? '');
    parseVolumeType(this.type);
    const v = await this.withNode((c) => c.volumes.createVolume({ name: this.name, size: this.size!.trim(), type: this.type }));
    if (this.wantJson) {
      this.json({ name: v.name, size: v.size, type: v.type, path: v.path });
      return 0;
    }
    this.out('Volume created successfully:');
    this.out(`  Name: ${v.name}`);
    this.out(`  Size: ${v.size}`);
    this.out(`  Type: ${v.type}`);
    this.out(`  Path: ${v.path} (on the server; /volumes/${v.name} inside jobs)`);
    this.out('');
    this.out(`Use this volume with: rnx run --volume=${v.name} <command>`);
    return 0;
  }
}
