/**
 * Names: the network names users choose, and the kernel object names we derive from them.
 * Interface names must fit IFNAMSIZ (15 characters) and never collide with another daemon's, so
 * they are a short hash of this daemon's instance and the object; the full owner is recorded in
 * the interface alias (ifalias), which is how start-up finds what a crashed run left behind.
 */
import { createHash } from 'node:crypto';
import { InvalidArgumentError } from '../../shared/errors';
import { invalidName } from '../../shared/entities';

/** Built-in networks: no namespace setup at all, one shared bridge, and jobs cut off from each other. */
export const BUILTIN_NETWORKS = ['none', 'isolated', 'bridge'] as const;
/** One of the built-in network names. */
export type BuiltinNetwork = (typeof BUILTIN_NETWORKS)[number];

/** Longest network name. */
export const MAX_NAME = 32;
const NAME = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;

/** True for none, isolated and bridge. */
export function isBuiltin(name: string): name is BuiltinNetwork {
  return (BUILTIN_NETWORKS as readonly string[]).includes(name);
}

/** Check a name for a new custom network. Throws InvalidArgumentError. */
export function checkNetworkName(name: string): void {
  if (name === '') throw new InvalidArgumentError('a network name is required, e.g. rnx network create backend --cidr=10.10.0.0/24');
  if (name.length > MAX_NAME) throw invalidName('network', name, `too long (${name.length} characters; at most ${MAX_NAME})`);
  if (!NAME.test(name)) throw invalidName('network', name, 'use a-z, 0-9 and -, starting and ending with a letter or digit');
  if (isBuiltin(name)) throw invalidName('network', name, 'reserved for the built-in network of that name');
}

function hash(parts: string[], chars: number): string {
  return createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, chars);
}

/** Bridge of a network: "jb" + 11 hex characters (13 ≤ IFNAMSIZ-1). */
export function bridgeName(instance: string, network: string): string {
  return `jb${hash([instance, 'net', network], 11)}`;
}

/** Host end of a job's veth pair: "jv" + 11 hex characters. */
export function vethName(instance: string, jobId: string): string {
  return `jv${hash([instance, 'job', jobId], 11)}`;
}

/** Names of host-side job veths (of any joblet daemon on this host): monitoring sums them into one entry. */
export const JOB_VETH_PATTERN = /^jv[0-9a-f]{11}$/;

/** Names of network bridges (of any joblet daemon on this host). */
export const BRIDGE_PATTERN = /^jb[0-9a-f]{11}$/;

/** The job end of the pair, inside its own namespace (where no other name can clash). */
export const JOB_IFNAME = 'eth0';

/** Named network namespace of a job (a file under /run/netns; "_" cannot occur in an instance or id). */
export function netnsName(instance: string, jobId: string): string {
  return `joblet_${instance}_${jobId}`;
}

/** Named network namespace of a spare attachment, made before any job (see spares.ts). */
export function spareNetnsName(instance: string, spareId: string): string {
  return `joblet_${instance}_spare_${spareId}`;
}

/** True for one of our spare namespace names. */
export function isSpareNetns(instance: string, name: string): boolean {
  const prefix = `joblet_${instance}_spare_`;
  return name.startsWith(prefix) && /^[0-9a-f-]{36}$/.test(name.slice(prefix.length));
}

/** The job id of one of our namespace names, or undefined when it is not ours. */
export function jobOfNetns(instance: string, name: string): string | undefined {
  const prefix = `joblet_${instance}_`;
  if (!name.startsWith(prefix)) return undefined;
  const id = name.slice(prefix.length);
  return /^[0-9a-f-]{36}$/.test(id) ? id : undefined;
}

/** Alias we set on every interface we create: the owner, for clean-up after a crash. */
export function ifAlias(instance: string, kind: 'net' | 'job' | 'spare', name: string): string {
  return `joblet/${instance}/${kind}/${name}`;
}

/** Prefix of every alias of this daemon. */
export function aliasPrefix(instance: string): string {
  return `joblet/${instance}/`;
}

/** Our nftables table (inet family); "-" is not an nft identifier character, "_" never occurs in an instance. */
export function nftTableName(instance: string): string {
  return `joblet_${instance.replace(/-/g, '_')}`;
}
