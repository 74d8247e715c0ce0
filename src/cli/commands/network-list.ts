/** `rnx network list`: built-in and custom networks, with the number of running jobs on each. */
import { ClientCommand } from '../base';
import { table } from '../format';

const BUILTIN = new Set(['none', 'isolated', 'bridge']);

/** List networks. */
export class NetworkListCommand extends ClientCommand {
  static override paths = [['network', 'list'], ['network', 'ls']];
  static override usage = ClientCommand.Usage({
    category: 'Networks',
    description: 'List networks (built-ins marked) and the jobs on each',
    details: 'With --json: an array of {name, cidr, bridge, jobs, builtin}.',
    examples: [['List networks', 'rnx network list'], ['As JSON', 'rnx network list --json']],
  });

  async run(): Promise<number> {
    const { networks } = await this.withNode((c) => c.networks.listNetworks({}));
    if (this.wantJson) {
      this.json(networks.map((n) => ({ name: n.name, cidr: n.cidr, bridge: n.bridge, jobs: n.jobCount, builtin: BUILTIN.has(n.name) })));
      return 0;
    }
    const rows = networks.map((n) => [BUILTIN.has(n.name) ? `${n.name} (built-in)` : n.name, n.cidr || '-', n.bridge || '-', String(n.jobCount)]);
    this.out(table(['NAME', 'CIDR', 'BRIDGE', 'JOBS'], rows));
    return 0;
  }
}
