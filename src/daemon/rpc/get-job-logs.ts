/**
 * JobService.GetJobLogs: everything the job printed, then live output until it ends; the stream
 * then ends. Each chunk says which stream it came from (our addition; old clients just see bytes).
 */
import type { CallContext } from 'nice-grpc';
import type { DataChunk, GetJobLogsRequest } from '../../gen/joblet';
import type { JobManager } from '../jobs/manager';

/** Handler factory. */
export function getJobLogs(jobs: JobManager) {
  return async function* (req: GetJobLogsRequest, ctx: CallContext): AsyncGenerator<DataChunk> {
    for await (const f of jobs.logs(req.uuid, req.noFollow, ctx.signal)) {
      yield { payload: f.payload, stream: f.stream, offset: f.offset };
    }
  };
}
