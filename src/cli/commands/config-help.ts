/**
 * `rnx config-help`: how the client config looks, where rnx looks for it, and how to get one.
 */
import { ClientCommand } from '../base';
import { clientConfigSearch, homeDir } from '../../shared/config/client';

const EXAMPLE = `version: "1"
nodes:
  default:                      # used when --node is not given
    address: "joblet.example.org:50051"
    cert: |                     # client certificate (its OU is the role: admin or viewer)
      -----BEGIN CERTIFICATE-----
      ...
      -----END CERTIFICATE-----
    key: |                      # the certificate's private key
      -----BEGIN PRIVATE KEY-----
      ...
      -----END PRIVATE KEY-----
    ca: |                       # the CA that signed the server certificate
      -----BEGIN CERTIFICATE-----
      ...
      -----END CERTIFICATE-----
  viewer:                       # read-only: status, logs, lists
    address: "joblet.example.org:50051"
    cert: |
      ...
    key: |
      ...
    ca: |
      ...`;

/** How to put the file in place, per OS (the client runs on Linux, macOS and Windows). */
const COPY_HINT: Partial<Record<NodeJS.Platform, string>> = {
  linux: 'mkdir -p ~/.rnx && cp rnx-config.yml ~/.rnx/ && chmod 600 ~/.rnx/rnx-config.yml',
  darwin: 'mkdir -p ~/.rnx && cp rnx-config.yml ~/.rnx/ && chmod 600 ~/.rnx/rnx-config.yml',
  win32: 'mkdir $env:USERPROFILE\\.rnx; copy rnx-config.yml $env:USERPROFILE\\.rnx\\   (PowerShell)',
};

/** `rnx config-help`: explain the client config file. */
export class ConfigHelpCommand extends ClientCommand {
  static override paths = [['config-help']];
  static override usage = ClientCommand.Usage({
    category: 'Client',
    description: 'Explain the client config file: format, search order, how to get one',
    examples: [['Show how to configure rnx', 'rnx config-help']],
  });

  async run(): Promise<number> {
    const env = this.context.env;
    const search = clientConfigSearch(env, homeDir(env));
    const lines = [
      'rnx reads its nodes and mutual-TLS credentials from a YAML file, rnx-config.yml:',
      '',
      ...EXAMPLE.split('\n').map((l) => '  ' + l),
      '',
      'The node used without --node is the one with "isDefault: true", else the one named "default", else the only one.',
      'An address without a port uses 50051; IPv6 addresses are written in brackets, e.g. "[::1]:50051".',
      '',
      'Where rnx looks (the first file that exists wins; --config PATH or $RNX_CONFIG must exist if given):',
      ...(env.RNX_CONFIG ? [] : ['  $RNX_CONFIG (not set)']),
      ...search.map((p, i) => `  ${p}${i === 0 && env.RNX_CONFIG ? '   ($RNX_CONFIG)' : ''}`),
      '',
      'How to get one:',
      '  1. On the server, as root:  joblet init',
      '     (writes /opt/joblet/config/joblet-config.yml for the daemon and /opt/joblet/config/rnx-config.yml for clients)',
      `  2. Copy rnx-config.yml to each client:  ${COPY_HINT[process.platform] ?? COPY_HINT.linux}`,
      "  3. Set each node's address to the server's name or IP (init writes 127.0.0.1 for a daemon listening on all addresses).",
      '  4. Check it:  rnx nodes   then   rnx list',
      '',
      'The file holds private keys; give people who should only read a copy with just the "viewer" node.',
    ];
    for (const l of lines) this.out(l);
    return 0;
  }
}
