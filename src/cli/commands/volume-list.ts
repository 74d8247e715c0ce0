/** `rnx volume list`: every volume on the node, with the number of running jobs using each. */
import { ClientCommand } from '../base';
import { localTime, nullTime, table } from '../format';

/** List volumes. */
export class VolumeListCommand extends ClientCommand {
  static override paths = [['volume', 'list'], ['volume', 'ls']];
  static override usage = ClientCommand.Usage({
    category: 'Volumes',
    description: 'List volumes with their size, type and the jobs using them',
    details: 'With --json: an array of {name, size, type, path, createdTime, jobCount, problem}.',
    examples: [
      ['List volumes', 'rnx volume list'],
      ['As JSON', 'rnx volume list --json'],
    ],
  });

  async run(): Promise<number> {
    const { volumes } = await this.withNode((c) => c.volumes.listVolumes({}));
    if (this.wantJson) {
      this.json(volumes.map((v) => ({ name: v.name, size: v.size, type: v.type, path: v.path, createdTime: nullTime(v.createdTime), jobCount: v.jobCount, problem: v.problem })));
      return 0;
    }
    if (volumes.length === 0) {
      this.out('No volumes found');
      return 0;
    }
    this.out(table(['NAME', 'SIZE', 'TYPE', 'CREATED', 'JOBS'], volumes.map((v) => [v.name, v.size, v.type, localTime(v.createdTime), String(v.jobCount)])));
    // A volume that did not come back at start-up stays listed, so it can be removed; say why it is unusable.
    for (const v of volumes.filter((x) => x.problem)) this.context.stderr.write(`rnx: volume '${v.name}' cannot be used: ${v.problem}\n`);
    return 0;
  }
}
