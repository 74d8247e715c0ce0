/** Runtimes. */
import type { RuntimeView } from '../../shared/types';
import { call, nodeApi } from './core';

/** Every runtime of the node: installed ones and the built-ins available to install. */
export function listRuntimes(node: string): Promise<RuntimeView[]> {
  return call('GET', nodeApi(node, 'runtimes'));
}
