/** RuntimeService.BuildRuntime: build a user runtime from its runtime.yaml, streaming progress. */
import type { CallContext } from 'nice-grpc';
import type { BuildRuntimeProgress, BuildRuntimeRequest } from '../../gen/joblet';
import type { RuntimeManager } from '../runtimes/manager';
import { streamBuild } from '../runtime-mappers';

/** Handler factory. */
export function buildRuntime(runtimes: RuntimeManager) {
  return (req: BuildRuntimeRequest, ctx: CallContext): AsyncGenerator<BuildRuntimeProgress> =>
    streamBuild((emit, signal) => runtimes.build(req.yamlContent, { dryRun: req.dryRun, force: req.forceRebuild }, emit, signal), ctx.signal, (e) => req.verbose || e.kind !== 'log' || e.level !== 'debug');
}
