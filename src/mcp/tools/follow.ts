/** Reading a job's log stream for a tool, bounded in time when it follows a running job. */
import type { DataChunk } from '../../gen/joblet';
import type { ToolContext } from '../tool';

/**
 * Feed every chunk of the job's output to `onChunk`: what is stored (follow = false), or until the
 * job ends (follow = true) but no longer than `timeoutSeconds`.
 */
export async function followLogs(ctx: ToolContext, id: string, follow: boolean, timeoutSeconds: number, onChunk: (c: DataChunk) => void): Promise<{ timedOut: boolean }> {
  const deadline = AbortSignal.timeout(timeoutSeconds * 1000);
  const signal = AbortSignal.any([ctx.signal, deadline]);
  try {
    await ctx.call(async (c) => {
      for await (const chunk of c.jobs.getJobLogs({ uuid: id, noFollow: !follow }, { signal })) onChunk(chunk);
    });
  } catch (err) {
    // Running out of time is an answer ("still running"), not a failure.
    if (deadline.aborted && !ctx.signal.aborted) return { timedOut: true };
    throw err;
  }
  return { timedOut: false };
}
