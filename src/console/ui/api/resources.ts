/** Volumes and networks. */
import type { NetworkView, VolumeView } from '../../shared/types';
import { call, nodeApi } from './core';

/** Every volume of the node. */
export function listVolumes(node: string): Promise<VolumeView[]> {
  return call('GET', nodeApi(node, 'volumes'));
}

/** rnx volume create NAME --size=SIZE --type=TYPE. */
export function createVolume(node: string, v: { name: string; size: string; type: string }): Promise<unknown> {
  return call('POST', nodeApi(node, 'volumes'), v);
}

/** rnx volume remove NAME. */
export function removeVolume(node: string, name: string): Promise<unknown> {
  return call('DELETE', nodeApi(node, `volumes/${encodeURIComponent(name)}`));
}

/** Every network of the node, built-ins included. */
export function listNetworks(node: string): Promise<NetworkView[]> {
  return call('GET', nodeApi(node, 'networks'));
}

/** rnx network create NAME --cidr=CIDR. */
export function createNetwork(node: string, n: { name: string; cidr: string }): Promise<unknown> {
  return call('POST', nodeApi(node, 'networks'), n);
}

/** rnx network remove NAME. */
export function removeNetwork(node: string, name: string): Promise<unknown> {
  return call('DELETE', nodeApi(node, `networks/${encodeURIComponent(name)}`));
}
