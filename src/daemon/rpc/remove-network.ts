/** NetworkService.RemoveNetwork: refused (as a gRPC error) for built-ins and networks in use. */
import type { RemoveNetworkRequest, RemoveNetworkResponse } from '../../gen/joblet';
import type { NetworkManager } from '../network/manager';

/** Handler factory. */
export function removeNetwork(networks: NetworkManager) {
  return async (req: RemoveNetworkRequest): Promise<RemoveNetworkResponse> => {
    await networks.remove(req.name);
    return { success: true, message: `network '${req.name}' removed` };
  };
}
