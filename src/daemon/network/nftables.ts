/**
 * This daemon's firewall: exactly one nftables table of its own (inet family, so IPv4 and IPv6
 * alike), rebuilt as a whole whenever the set of networks changes. The script replaces the
 * table in one atomic transaction and touches no other table: other software's rules stay as
 * they are (a drop there still wins — an accept here never overrides another table).
 */
import { cidrText, type Cidr } from '../../shared/cidr';
import type { HostTools } from './tools';

/** What the firewall needs to know about one network. */
export interface FirewallNetwork {
  bridge: string;
  cidr: Cidr;
  /** Jobs on it may not talk to each other (the isolated network). */
  isolated: boolean;
}

/** Link-local, where cloud metadata (169.254.169.254) lives. */
const LINK_LOCAL = '169.254.0.0/16';

/**
 * The nft script that (re)creates table `table` for `nets`. Rules, in the order they matter:
 * - input: nothing from a job reaches the host itself (the daemon's port, any host service, via
 *   the gateway or any other host address); only replies to connections the host opened.
 * - forward: job → another network (or, on the isolated network, another job) is dropped; the
 *   outside may only answer jobs, never open connections to them; no IPv6, no link-local
 *   (metadata), no spoofed source addresses; everything else goes out.
 * - postrouting: job addresses are masqueraded when leaving through a non-job interface.
 */
export function rulesetScript(table: string, nets: FirewallNetwork[]): string {
  const q = (s: string) => `"${s}"`;
  const elements = (xs: string[]) => (xs.length ? ` elements = { ${xs.join(', ')} };` : '');
  const bridges = nets.map((n) => q(n.bridge));
  const subnets = nets.map((n) => cidrText(n.cidr));
  const lines = [
    // Creating first makes the delete valid when the table does not exist yet; the three are one transaction.
    `table inet ${table} {}`,
    `delete table inet ${table}`,
    `table inet ${table} {`,
    `  set bridges { type ifname;${elements(bridges)} }`,
    `  set subnets { type ipv4_addr; flags interval;${elements(subnets)} }`,
    `  chain input {`,
    `    type filter hook input priority filter; policy accept;`,
    `    iifname @bridges ct state established,related accept`,
    `    iifname @bridges drop`,
    `  }`,
    `  chain forward {`,
    `    type filter hook forward priority filter; policy accept;`,
    // Within one shared network: only seen when br_netfilter hands bridged frames to us.
    ...nets.filter((n) => !n.isolated).map((n) => `    iifname ${q(n.bridge)} oifname ${q(n.bridge)} accept`),
    `    iifname @bridges oifname @bridges drop`,
    `    oifname @bridges ct state established,related accept`,
    `    oifname @bridges drop`,
    `    iifname @bridges meta nfproto ipv6 drop`,
    ...nets.map((n) => `    iifname ${q(n.bridge)} ip saddr != ${cidrText(n.cidr)} drop`),
    `    iifname @bridges ip daddr ${LINK_LOCAL} drop`,
    `  }`,
    `  chain postrouting {`,
    `    type nat hook postrouting priority srcnat; policy accept;`,
    `    oifname != @bridges ip saddr @subnets masquerade`,
    `  }`,
    `}`,
  ];
  return lines.join('\n') + '\n';
}

/** The nft script that removes table `table` if it exists. */
export function deleteTableScript(table: string): string {
  return `table inet ${table} {}\ndelete table inet ${table}\n`;
}

/** Replace this daemon's table with the rules for `nets` (atomic). */
export async function applyFirewall(tools: HostTools, table: string, nets: FirewallNetwork[]): Promise<void> {
  await tools.run('nft', ['-f', '-'], rulesetScript(table, nets));
}

/** Remove this daemon's table (nothing else). */
export async function removeFirewall(tools: HostTools, table: string): Promise<void> {
  await tools.run('nft', ['-f', '-'], deleteTableScript(table));
}
