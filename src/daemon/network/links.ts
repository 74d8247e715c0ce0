/**
 * The kernel objects of job networks, made with iproute2: one bridge per network (the gateway
 * address on it), and per job a named network namespace with one end of a veth pair inside and
 * the other on the bridge. IPv6 is left without addresses on all of them (addrgenmode none), so
 * no job has an IPv6 route anywhere; the firewall drops IPv6 from jobs as well.
 */
import * as fs from 'node:fs';
import { cidrText, formatIPv4, overlaps, parseCidr, type Cidr } from '../../shared/cidr';
import { JOB_IFNAME } from './names';
import type { HostTools } from './tools';

/** Where `ip netns add` puts namespace files. */
export const NETNS_DIR = '/run/netns';

/** An interface as `ip -j -d link show` reports it (the fields we use). */
export interface LinkInfo {
  ifname: string;
  ifalias?: string;
  master?: string;
  linkinfo?: { info_kind?: string };
}

/** An IPv4 route as `ip -j -4 route show table all` reports it (the fields we use). */
export interface RouteInfo {
  dst: string;
  dev?: string;
  type?: string;
  table?: string;
}

const hasIPv6 = () => fs.existsSync('/proc/sys/net/ipv6');

/** Every interface of the host's network namespace. */
export function listLinks(tools: HostTools): Promise<LinkInfo[]> {
  return tools.ipJson<LinkInfo[]>(['-d', 'link', 'show']);
}

/** Every IPv4 route of the host, all tables. */
export function listRoutes(tools: HostTools): Promise<RouteInfo[]> {
  return tools.ipJson<RouteInfo[]>(['-4', 'route', 'show', 'table', 'all']);
}

/**
 * Make bridge `name` exist with exactly the gateway address of `cidr`, up, marked with `alias`,
 * with the job networks' MTU (mtu.ts). `exists`: it is already there (from an earlier run), so
 * only its settings are (re)applied.
 */
export async function ensureBridge(tools: HostTools, name: string, alias: string, cidr: Cidr, exists: boolean, mtu: number): Promise<void> {
  const gw = `${formatIPv4(cidr.base + 1)}/${cidr.prefix}`;
  const lines = [
    ...(exists ? [] : [`link add ${name} type bridge`]),
    `link set ${name} alias ${alias}`,
    `link set ${name} mtu ${mtu}`,
    ...(hasIPv6() ? [`link set ${name} addrgenmode none`] : []),
    // Flush first: a changed CIDR in the config (or a crash mid-change) must not leave a second address.
    `addr flush dev ${name}`,
    `addr add ${gw} dev ${name}`,
    `link set ${name} up`,
  ];
  await tools.ipBatch(lines);
  // addrgenmode none stops new link-local addresses; a bridge from an earlier run may still have one.
  const v6 = `/proc/sys/net/ipv6/conf/${name}/disable_ipv6`;
  if (fs.existsSync(v6)) fs.writeFileSync(v6, '1');
}

/** Delete an interface; one that is already gone is fine. */
export async function deleteLink(tools: HostTools, name: string): Promise<void> {
  try {
    await tools.run('ip', ['link', 'del', name]);
  } catch (err) {
    if (!/Cannot find device/.test((err as Error).message)) throw err;
  }
}

/** Delete a named network namespace; one that is already gone is fine. */
export async function deleteNetns(tools: HostTools, name: string): Promise<void> {
  try {
    await tools.run('ip', ['netns', 'del', name]);
  } catch (err) {
    if (!/No such file|Cannot remove namespace file/.test((err as Error).message) || fs.existsSync(`${NETNS_DIR}/${name}`)) throw err;
  }
}

/** One job's attachment. */
export interface JobLink {
  netns: string;
  veth: string;
  alias: string;
  bridge: string;
  cidr: Cidr;
  ip: number;
  /** Set bridge port isolation: this port may only talk to the bridge itself (the gateway), not other ports. */
  isolatedPort: boolean;
  /** MTU of both ends of the veth (the bridge's). */
  mtu: number;
}

/**
 * Create the job's namespace and wire it to the bridge: the job sees lo and eth0 (its address,
 * default route via the gateway). Undone with detachJob, also when it fails half-way.
 */
export async function attachJob(tools: HostTools, j: JobLink): Promise<void> {
  const v6 = hasIPv6();
  await tools.ipBatch([
    `netns add ${j.netns}`,
    `link add ${j.veth} mtu ${j.mtu} type veth peer name ${JOB_IFNAME} mtu ${j.mtu} netns ${j.netns}`,
    `link set ${j.veth} alias ${j.alias}`,
    ...(v6 ? [`link set ${j.veth} addrgenmode none`] : []),
    `link set ${j.veth} master ${j.bridge}`,
    ...(j.isolatedPort ? [`link set ${j.veth} type bridge_slave isolated on`] : []),
    `link set ${j.veth} up`,
  ]);
  await tools.ipBatch(
    [
      'link set lo up',
      ...(v6 ? [`link set ${JOB_IFNAME} addrgenmode none`] : []),
      `addr add ${formatIPv4(j.ip)}/${j.cidr.prefix} dev ${JOB_IFNAME}`,
      `link set ${JOB_IFNAME} up`,
      `route add default via ${formatIPv4(j.cidr.base + 1)}`,
    ],
    j.netns,
  );
}

/** Remove a job's veth pair (deleting one end removes both) and its namespace, with one `ip`. */
export async function detachJob(tools: HostTools, j: Pick<JobLink, 'netns' | 'veth'>): Promise<void> {
  // Explicitly: the kernel frees a namespace (and so its veth) asynchronously after the last user is gone.
  // -force: go on after an error (a part already gone is fine); what is left is checked below.
  await tools.run('ip', ['-force', '-batch', '-'], `link del ${j.veth}\nnetns del ${j.netns}\n`).catch(() => undefined);
  if (fs.existsSync(`/sys/class/net/${j.veth}`)) await deleteLink(tools, j.veth);
  if (fs.existsSync(`${NETNS_DIR}/${j.netns}`)) await deleteNetns(tools, j.netns);
}

/** "the host's route to X (dev Y)" for the widest host route overlapping `c`, or undefined. The default route is not a clash. */
export function routeClash(c: Cidr, routes: RouteInfo[]): string | undefined {
  let widest: { dst: Cidr; dev?: string } | undefined;
  for (const r of routes) {
    if (r.dst === 'default' || r.type === 'broadcast' || r.type === 'multicast') continue;
    let dst: Cidr;
    try {
      dst = parseCidr(r.dst.includes('/') ? r.dst : `${r.dst}/32`);
    } catch {
      continue;
    }
    if (overlaps(dst, c) && (!widest || dst.prefix < widest.dst.prefix)) widest = { dst, dev: r.dev };
  }
  return widest && `the host's route to ${cidrText(widest.dst)}${widest.dev ? ` (dev ${widest.dev})` : ''}`;
}
