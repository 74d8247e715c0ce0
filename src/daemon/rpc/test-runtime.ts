/** RuntimeService.TestRuntime: the runtime's smoke test, run as a job of the caller. */
import type { CallContext } from 'nice-grpc';
import type { TestRuntimeRequest, TestRuntimeResponse } from '../../gen/joblet';
import type { CallerContext } from '../middleware/auth';
import type { RuntimeManager } from '../runtimes/manager';
import { runSmokeTest } from '../runtimes/smoke';
import type { JobManager } from '../jobs/manager';

/** Handler factory. */
export function testRuntime(runtimes: RuntimeManager, jobs: JobManager) {
  return async (req: TestRuntimeRequest, ctx: CallContext & CallerContext): Promise<TestRuntimeResponse> => {
    const r = await runSmokeTest(jobs, runtimes.lookup(req.runtime), ctx.caller.name, ctx.signal);
    return { success: r.success, output: r.output, error: r.error, exitCode: r.exitCode, jobUuid: r.jobId };
  };
}
