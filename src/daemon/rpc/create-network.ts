/** NetworkService.CreateNetwork: a custom network with its own bridge and address pool. */
import type { CreateNetworkRequest, CreateNetworkResponse } from '../../gen/joblet';
import type { NetworkManager } from '../network/manager';

/** Handler factory. */
export function createNetwork(networks: NetworkManager) {
  return async (req: CreateNetworkRequest): Promise<CreateNetworkResponse> => {
    const n = await networks.create(req.name, req.cidr);
    return { name: n.name, cidr: n.cidr, bridge: n.bridge };
  };
}
