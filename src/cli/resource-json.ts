/**
 * The stable JSON forms of volumes and networks, exactly as `rnx volume list --json` and
 * `rnx network list --json` print them (documented in README.md), for the console and the MCP
 * server, which answer with the same objects.
 */
import type { Network, Volume } from '../gen/joblet';

/** Networks every joblet server has. */
export const BUILTIN_NETWORKS = new Set(['none', 'isolated', 'bridge']);

/** A volume as `rnx volume list --json` prints it. */
export function volumeJson(v: Volume): { name: string; size: string; type: string; path: string; createdTime: string; jobCount: number; problem: string } {
  return { name: v.name, size: v.size, type: v.type, path: v.path, createdTime: v.createdTime, jobCount: v.jobCount, problem: v.problem };
}

/** A network as `rnx network list --json` prints it. */
export function networkJson(n: Network): { name: string; cidr: string; bridge: string; jobs: number; builtin: boolean } {
  return { name: n.name, cidr: n.cidr, bridge: n.bridge, jobs: n.jobCount, builtin: BUILTIN_NETWORKS.has(n.name) };
}
