/** RuntimeService.InstallRuntime (joblet addition): install a built-in runtime, streaming progress. */
import type { CallContext } from 'nice-grpc';
import type { BuildRuntimeProgress, InstallRuntimeRequest } from '../../gen/joblet';
import type { RuntimeManager } from '../runtimes/manager';
import { streamBuild } from '../runtime-mappers';

/** Handler factory. */
export function installRuntime(runtimes: RuntimeManager) {
  return (req: InstallRuntimeRequest, ctx: CallContext): AsyncGenerator<BuildRuntimeProgress> =>
    streamBuild((emit, signal) => runtimes.install(req.runtime, req.force, emit, signal), ctx.signal);
}
