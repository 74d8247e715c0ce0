/** RuntimeService.GetRuntimeInfo: one runtime, with every package and its build; found=false when unknown. */
import type { GetRuntimeInfoRequest, GetRuntimeInfoResponse } from '../../gen/joblet';
import type { RuntimeManager } from '../runtimes/manager';
import { toRuntimeInfo } from '../runtime-mappers';

/** Handler factory. */
export function getRuntimeInfo(runtimes: RuntimeManager) {
  return async (req: GetRuntimeInfoRequest): Promise<GetRuntimeInfoResponse> => {
    const v = runtimes.info(req.runtime);
    return v ? { runtime: toRuntimeInfo(v, true), found: true } : { runtime: undefined, found: false };
  };
}
