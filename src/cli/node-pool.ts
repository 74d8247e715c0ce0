/**
 * The nodes of the client config and one gRPC connection per node, opened on first use and kept
 * while the process serves (the web console, the MCP server) — the same client layer as every rnx
 * command (client.ts). A node's role comes from its client certificate's Subject OU, read locally:
 * a viewer node makes the console read-only, and the server refuses a viewer's writes anyway.
 */
import { X509Certificate } from 'node:crypto';
import { defaultNodeName, loadClientConfig, type ClientConfig, type NodeConfig } from '../shared/config/client';
import { ConfigError, PermissionDeniedError } from '../shared/errors';
import { connect, explain, type Connection } from './client';

/** A node as the console's selector and joblet_list_nodes show it. */
export interface NodeInfo {
  name: string;
  address: string;
  /** The node rnx uses without --node. */
  isDefault: boolean;
  /** Role of the client certificate (its Subject OU). */
  role: 'admin' | 'viewer' | 'unknown';
  /** Not an admin certificate: changes are refused. */
  readOnly: boolean;
  /** Why the node cannot be used ("" when it can), e.g. a missing certificate. */
  problem: string;
}

/** Connections to the configured nodes. */
export class NodePool {
  private config: ClientConfig;
  /** Path of the client config in use. */
  readonly configPath: string;
  private readonly conns = new Map<string, Connection>();

  constructor(private readonly configFlag: string | undefined) {
    const loaded = loadClientConfig(configFlag);
    this.config = loaded.config;
    this.configPath = loaded.path;
  }

  /** Name of the node used when none is chosen. */
  defaultNode(): string | undefined {
    return defaultNodeName(this.config);
  }

  /** Every node, sorted by name, with its role and whether it can be used. */
  list(): NodeInfo[] {
    const def = this.defaultNode();
    return Object.keys(this.config.nodes)
      .sort()
      .map((name) => {
        const n = this.config.nodes[name]!;
        const role = roleOf(n);
        return { name, address: n.address, isDefault: name === def, role, readOnly: role !== 'admin', problem: problemOf(n) };
      });
  }

  /** The node called `name`; a ConfigError naming the known nodes if there is none. */
  node(name: string): NodeConfig {
    const n = Object.hasOwn(this.config.nodes, name) ? this.config.nodes[name] : undefined;
    if (!n) throw new ConfigError(`node '${name}' is not in the client config (available: ${Object.keys(this.config.nodes).sort().join(', ')})`);
    return n;
  }

  /** Refuse a change on a node whose certificate is not an admin one. */
  requireWrite(name: string): void {
    const role = roleOf(this.node(name));
    if (role !== 'admin') {
      throw new PermissionDeniedError(`node '${name}' uses a ${role === 'viewer' ? 'viewer' : 'non-admin'} certificate: the console is read-only for it; choose a node with an admin certificate`);
    }
  }

  /** Run `fn` with the node's connection; gRPC failures become the one-line errors rnx prints. */
  async call<T>(name: string, fn: (c: Connection) => Promise<T>): Promise<T> {
    const conn = this.conn(name);
    try {
      return await fn(conn);
    } catch (err) {
      throw explain(err, conn);
    }
  }

  /** The node's connection, opened on first use. */
  conn(name: string): Connection {
    this.node(name);
    let c = this.conns.get(name);
    if (!c) {
      c = connect({ config: this.configFlag ?? this.configPath, node: name });
      this.conns.set(name, c);
    }
    return c;
  }

  /** Close every connection. */
  close(): void {
    for (const c of this.conns.values()) c.close();
    this.conns.clear();
  }
}

/** Role of a node's client certificate: its Subject OU. */
export function roleOf(n: NodeConfig): NodeInfo['role'] {
  if (!n.cert) return 'unknown';
  try {
    const ou = new X509Certificate(n.cert).subject
      .split('\n')
      .find((l) => l.startsWith('OU='))
      ?.slice(3);
    return ou === 'admin' || ou === 'viewer' ? ou : 'unknown';
  } catch {
    return 'unknown';
  }
}

function problemOf(n: NodeConfig): string {
  const missing = [!n.cert && 'cert', !n.key && 'key', !n.ca && 'ca'].filter(Boolean);
  return missing.length ? `no ${missing.join(', ')} in the client config` : '';
}
