/**
 * A job's metrics for its charts: the stored samples first (GetJobMetrics), then, while the job
 * runs, each new sample as the server takes it (StreamJobMetrics) — on one event stream.
 */
import { sampleJson } from '../../cli/metrics-format';
import { describeError } from '../../shared/errors';
import type { JobSampleView } from '../shared/types';
import { EventStream } from '../sse';
import { HANDLED, type Route } from './route';

/** Most stored samples sent at first (the newest ones); a chart cannot show more points than pixels anyway. */
const HISTORY_MAX = 2000;
const TERMINAL = new Set(['COMPLETED', 'FAILED', 'STOPPED', 'CANCELED']);

function view(s: ReturnType<typeof sampleJson>): JobSampleView & { ts: string } {
  return { ts: s.timestamp, time: s.time, cpuPercent: s.cpuPercent, memoryBytes: s.memoryBytes, memoryLimitBytes: s.memoryLimitBytes, diskReadBytes: s.diskReadBytes, diskWriteBytes: s.diskWriteBytes, netRecvBytes: s.netRecvBytes, netSentBytes: s.netSentBytes, processCount: s.processCount, final: s.final };
}

/** GET live/jobs/:id/metrics: events `history` (JobSampleView[]) once, then `sample` (JobSampleView) while the job runs, `failure`, `end`. */
export const jobMetricsLiveRoute: Route = {
  method: 'GET',
  path: 'live/jobs/:id/metrics',
  async handle({ pool, node, params, req, res, shutdown }) {
    const job = await pool.call(node, (c) => c.jobs.getJobStatus({ uuid: params.id! }));
    const history: ReturnType<typeof view>[] = [];
    await pool.call(node, async (c) => {
      for await (const e of c.jobs.getJobMetrics({ jobUuid: job.uuid, startTime: '0', endTime: '0', limit: 0 })) {
        history.push(view(sampleJson(e)));
        if (history.length > HISTORY_MAX) history.shift();
      }
    });
    const stream = new EventStream(req, res, shutdown);
    await stream.send('history', history);
    if (!TERMINAL.has(job.status)) {
      let last = BigInt(history[history.length - 1]?.ts ?? '0');
      try {
        await pool.call(node, async (c) => {
          for await (const e of c.jobs.streamJobMetrics({ jobUuid: job.uuid }, { signal: stream.signal })) {
            // The stream starts with the latest sample, which the history may hold already.
            if (BigInt(e.timestamp || '0') <= last) continue;
            last = BigInt(e.timestamp || '0');
            await stream.send('sample', view(sampleJson(e)));
          }
        });
      } catch (err) {
        if (!stream.signal.aborted) await stream.send('failure', { message: describeError(err) });
      }
    }
    if (!stream.signal.aborted) await stream.end();
    return HANDLED;
  },
};
