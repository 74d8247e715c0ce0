/** NetworkService.ListNetworks: built-in and custom networks with the number of jobs on each. */
import type { Networks } from '../../gen/joblet';
import type { NetworkManager } from '../network/manager';

/** Handler factory. */
export function listNetworks(networks: NetworkManager) {
  return async (): Promise<Networks> => ({
    networks: networks.list().map((n) => ({ name: n.name, cidr: n.cidr, bridge: n.bridge, jobCount: n.jobCount })),
  });
}
