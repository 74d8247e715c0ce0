/**
 * `rnx nodes`: the nodes of the client config, which one is the default, and whether each has
 * its certificate, key and CA. Credentials are only reported as present or absent, never printed.
 */
import { ClientCommand } from '../base';
import { defaultNodeName, loadClientConfig } from '../../shared/config/client';

/** One node as `rnx nodes --json` prints it (stable keys). */
export interface NodeListing {
  name: string;
  address: string;
  default: boolean;
  cert: boolean;
  key: boolean;
  ca: boolean;
}

/** `rnx nodes`: list the configured nodes. */
export class NodesCommand extends ClientCommand {
  static override paths = [['nodes']];
  static override usage = ClientCommand.Usage({
    category: 'Client',
    description: 'List the nodes (servers) in the client config',
    details: `
      Shows every node of rnx-config.yml sorted by name, marks the one used without --node with "*", and says whether its
      certificate, key and CA are present. With --json: an array of {name, address, default, cert, key, ca}.
    `,
    examples: [
      ['List nodes', 'rnx nodes'],
      ['Use another node for one command', 'rnx --node viewer list'],
    ],
  });

  async run(): Promise<number> {
    const { config, path } = loadClientConfig(this.configPath, this.context.env);
    const def = defaultNodeName(config);
    const listing: NodeListing[] = Object.keys(config.nodes)
      .sort()
      .map((name) => {
        const n = config.nodes[name]!;
        return { name, address: n.address, default: name === def, cert: !!n.cert, key: !!n.key, ca: !!n.ca };
      });
    if (this.wantJson) {
      this.json(listing);
      return 0;
    }
    const has = (b: boolean) => (b ? 'present' : 'absent');
    this.out(`Nodes in ${path}:`);
    for (const n of listing) {
      this.out(`${n.default ? '* ' : '  '}${n.name}`);
      this.out(`    Address: ${n.address}`);
      this.out(`    Cert:    ${has(n.cert)}`);
      this.out(`    Key:     ${has(n.key)}`);
      this.out(`    CA:      ${has(n.ca)}`);
    }
    if (def === undefined) this.out("No default node: pass --node NAME, or set 'isDefault: true' on one node.");
    return 0;
  }
}
