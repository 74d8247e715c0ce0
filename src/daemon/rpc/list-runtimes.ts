/** RuntimeService.ListRuntimes: installed runtimes and the built-ins available to install. */
import type { ListRuntimesResponse } from '../../gen/joblet';
import type { RuntimeManager } from '../runtimes/manager';
import { toRuntimeInfo } from '../runtime-mappers';

/** Handler factory. */
export function listRuntimes(runtimes: RuntimeManager) {
  return async (): Promise<ListRuntimesResponse> => ({ runtimes: runtimes.list().map((v) => toRuntimeInfo(v, false)) });
}
