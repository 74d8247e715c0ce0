/** RuntimeService.RemoveRuntime: every version (or NAME@VERSION); refused while a job uses it. */
import type { RemoveRuntimeRequest, RemoveRuntimeResponse } from '../../gen/joblet';
import type { RuntimeManager } from '../runtimes/manager';

/** Handler factory. */
export function removeRuntime(runtimes: RuntimeManager) {
  return async (req: RemoveRuntimeRequest): Promise<RemoveRuntimeResponse> => {
    const r = await runtimes.remove(req.runtime);
    return { success: true, message: `removed ${r.removed.join(', ')}`, freedSpaceBytes: r.freedBytes, removed: r.removed };
  };
}
