/** `rnx network create NAME --cidr=CIDR`: a custom network; jobs on it reach each other and nothing of other networks. */
import { InvalidArgumentError } from '../../shared/errors';
import { ClientCommand } from '../base';
import { Arg, Flag } from '../flags';

/** Create a network. */
export class NetworkCreateCommand extends ClientCommand {
  static override paths = [['network', 'create']];
  static override usage = ClientCommand.Usage({
    category: 'Networks',
    description: 'Create a custom network for jobs',
    details: `
      Jobs started with --network=NAME get an address of CIDR and reach each other; jobs of different networks cannot reach each
      other, and no job reaches the server itself. Names: 1-32 characters of a-z, 0-9 and -; none, isolated and bridge are built in.
      The CIDR must be a network address (no host bits), /8 to /30, and overlap neither another network nor the server's routes.
      With --json: {name, cidr, bridge}.
    `,
    examples: [['A network for a worker fleet', 'rnx network create backend --cidr=10.10.0.0/24']],
  });

  cidr = Flag.string('--cidr', 'CIDR', 'IPv4 block of the network, e.g. 10.10.0.0/24 (required)');
  name = Arg.required('NAME', '1-32 characters of a-z, 0-9 and -');

  async run(): Promise<number> {
    const cidr = this.cidr;
    if (!cidr) throw new InvalidArgumentError(`--cidr is required: rnx network create ${this.name} --cidr=10.10.0.0/24`);
    const n = await this.withNode((c) => c.networks.createNetwork({ name: this.name, cidr }));
    if (this.wantJson) this.json({ name: n.name, cidr: n.cidr, bridge: n.bridge });
    else this.out(`Network '${n.name}' created: ${n.cidr} on bridge ${n.bridge}`);
    return 0;
  }
}
