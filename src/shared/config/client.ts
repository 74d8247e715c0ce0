/**
 * The client's config file, rnx-config.yml: named nodes, each an address plus the client's
 * certificate, key and the CA (embedded PEM). Compatible with the original rnx files (`version`
 * optional, "3.0" accepted, `isDefault`, `nodeId`). Kept light: the rnx start-up path loads it.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../errors';
import { isDnsName, parseHostPort, parseYaml, pemField, readFirstConfig, validate, versionField } from './load';

/** Port assumed when a node's address has none (the daemon's default port). */
export const DEFAULT_PORT = 50051;

/** Where the hint in config errors points. */
const HELP_HINT = "run 'rnx config-help' to see how to get one";

/** Add the default port to a bare host ("myserver" → "myserver:50051"); IPv6 must be bracketed. */
function withDefaultPort(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  if (/^\[[0-9A-Fa-f:.]+\]$/.test(v) || (!v.includes(':') && isDnsName(v))) return `${v}:${DEFAULT_PORT}`;
  return v;
}

const BEGIN_CERT = /-----BEGIN CERTIFICATE-----/;
const BEGIN_KEY = /-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----/;
const PEM_HINT = '`joblet init` on the server writes a client config with them';

const nodeSchema = z
  .object({
    address: z.preprocess(
      withDefaultPort,
      z.string().refine((v) => parseHostPort(v) !== undefined, 'must be HOST:PORT with a port 1-65535, IPv6 in brackets like [::1]:50051'),
    ),
    cert: pemField('the client certificate', BEGIN_CERT, PEM_HINT).optional(),
    key: pemField("the client certificate's private key", BEGIN_KEY, PEM_HINT).optional(),
    ca: pemField('the CA certificate', BEGIN_CERT, PEM_HINT).optional(),
    isDefault: z.boolean().optional(),
    // Written by later versions of the original rnx; accepted so their files load, not used.
    nodeId: z.string().optional(),
  })
  .strict();

/** Schema of rnx-config.yml. */
export const clientConfigSchema = z
  .object({
    version: versionField(['1', '3.0']).optional(),
    nodes: z.record(z.string().min(1), nodeSchema, { required_error: `is required: a mapping of node names to {address, cert, key, ca}; ${HELP_HINT}` }),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    const names = Object.keys(cfg.nodes);
    if (names.length === 0) ctx.addIssue({ code: 'custom', path: ['nodes'], message: `has no nodes; ${HELP_HINT}`, params: { noGot: true } });
    const marked = names.filter((n) => cfg.nodes[n]!.isDefault === true);
    if (marked.length > 1) ctx.addIssue({ code: 'custom', path: ['nodes'], message: `more than one node has isDefault: true (${marked.join(', ')}); mark at most one`, params: { noGot: true } });
  })
  .transform((cfg) => {
    const nodes: Record<string, NodeConfig> = {};
    for (const [name, n] of Object.entries(cfg.nodes)) nodes[name] = { name, ...n };
    return { version: cfg.version ?? '1', nodes };
  });

/** One node of the client config: where a daemon listens and the credentials to talk to it. */
export interface NodeConfig {
  name: string;
  address: string;
  cert?: string;
  key?: string;
  ca?: string;
  isDefault?: boolean;
  nodeId?: string;
}

/** The client's validated configuration. */
export type ClientConfig = z.infer<typeof clientConfigSchema>;

/** The user's home directory: %USERPROFILE% on Windows, $HOME elsewhere (falling back to the OS's answer). */
export function homeDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  return (platform === 'win32' ? env.USERPROFILE : env.HOME) || os.homedir();
}

/**
 * Where rnx looks for its config, in order (the first existing file wins): $RNX_CONFIG, ./, the
 * home directory's .rnx/ (~/.rnx on Linux and macOS, %USERPROFILE%\.rnx on Windows), then the
 * system-wide places (/etc/joblet and /opt/joblet/config; %ProgramData%\joblet on Windows).
 */
export function clientConfigSearch(env: NodeJS.ProcessEnv = process.env, home: string = homeDir(env), platform: NodeJS.Platform = process.platform): string[] {
  const p = platform === 'win32' ? path.win32 : path.posix;
  const list: string[] = [];
  if (env.RNX_CONFIG) list.push(env.RNX_CONFIG);
  list.push(p.resolve('rnx-config.yml'), p.join(home, '.rnx', 'rnx-config.yml'));
  if (platform === 'win32') list.push(p.join(env.ProgramData || 'C:\\ProgramData', 'joblet', 'rnx-config.yml'));
  else list.push('/etc/joblet/rnx-config.yml', '/opt/joblet/config/rnx-config.yml');
  return list;
}

/** Parse and validate the text of a client config; `source` prefixes error messages. Throws ConfigError. */
export function parseClientConfig(text: string, source: string): ClientConfig {
  return validate(clientConfigSchema, parseYaml(text, source), source);
}

/**
 * Find, read and validate the client config: `flagPath` (--config) if given, else $RNX_CONFIG if
 * set (both must exist), else the first existing file of the search list.
 */
export function loadClientConfig(
  flagPath?: string,
  env: NodeJS.ProcessEnv = process.env,
  home: string = homeDir(env),
): { config: ClientConfig; path: string } {
  const explicit = flagPath ? { path: flagPath, from: '--config' } : env.RNX_CONFIG ? { path: env.RNX_CONFIG, from: '$RNX_CONFIG' } : undefined;
  const found = readFirstConfig({ explicit, candidates: clientConfigSearch(env, home), notFoundHint: HELP_HINT });
  return { config: parseClientConfig(found.text, found.path), path: found.path };
}

/** Name of the node used when --node is not given: isDefault, else "default", else the only node. */
export function defaultNodeName(config: ClientConfig): string | undefined {
  const names = Object.keys(config.nodes);
  return names.find((n) => config.nodes[n]!.isDefault === true) ?? (config.nodes['default'] ? 'default' : names.length === 1 ? names[0] : undefined);
}

/** The node to talk to: `name` if given, else the default node. Throws ConfigError listing the nodes. */
export function resolveNode(config: ClientConfig, name?: string): NodeConfig {
  const available = Object.keys(config.nodes).sort().join(', ');
  if (name !== undefined) {
    const node = Object.hasOwn(config.nodes, name) ? config.nodes[name] : undefined;
    if (!node) throw new ConfigError(`node '${name}' is not in the client config (available: ${available})`);
    return node;
  }
  const def = defaultNodeName(config);
  if (def === undefined) throw new ConfigError(`no default node: pass --node NAME (available: ${available}) or set isDefault: true on one node`);
  return config.nodes[def]!;
}
