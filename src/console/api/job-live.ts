/**
 * One job, live: its status whenever it changes and its output as it is written, stdout, stderr
 * and joblet's own notices kept apart — on one event stream per page. Each output event's id is
 * the job's output offset after it, so a browser that reconnects (Last-Event-ID) gets only what it
 * missed. Also the log download: the stored output as a file, all streams or one.
 */
import { once } from 'node:events';
import { TextDecoder } from 'node:util';
import type { DataChunk } from '../../gen/joblet';
import { jobJson } from '../../cli/format';
import { InvalidArgumentError, describeError } from '../../shared/errors';
import type { LogEvent } from '../shared/types';
import { EventStream } from '../sse';
import { HANDLED, type Route, type RouteContext } from './route';

const STATUS_POLL_MS = 1000;
/** Output is sent in batches at most this often, so a chatty job does not mean one event per line. */
const BATCH_MS = 50;
const BATCH_BYTES = 64 * 1024;
const TERMINAL = new Set(['COMPLETED', 'FAILED', 'STOPPED']);

/** GET live/jobs/:id: events `job` (JobView), `log` (LogEvent[]), `failure`, then `end`. */
export const jobLiveRoute: Route = {
  method: 'GET',
  path: 'live/jobs/:id',
  async handle(ctx) {
    const { pool, node, params, req, res, shutdown } = ctx;
    // Asked before the stream opens, so that an unknown job is a plain 404 the page can show.
    const first = jobJson(await pool.call(node, (c) => c.jobs.getJobStatus({ uuid: params.id! })));
    const stream = new EventStream(req, res, shutdown);
    await stream.send('job', first);
    const from = Number(req.headers['last-event-id'] ?? 0);
    // The first output of a starting job means it now runs: ask for its status at once, not at the next tick.
    const kick = new Kick();
    const logs = followLogs(ctx, stream, first.id, Number.isSafeInteger(from) && from > 0 ? from : 0, () => kick.fire());
    const status = followStatus(ctx, stream, first.id, JSON.stringify(first), logs, kick);
    try {
      await Promise.all([logs, status]);
      if (!stream.signal.aborted) await stream.end();
    } catch (err) {
      if (!stream.signal.aborted) {
        await stream.send('failure', { message: describeError(err) });
        await stream.end();
      }
    }
    return HANDLED;
  },
};

/** Send the job's output from byte `from` on, batched, until the job ends or the page goes. */
async function followLogs({ pool, node }: RouteContext, stream: EventStream, id: string, from: number, onFirst: () => void): Promise<void> {
  let first = true;
  const decoders = new Map<number, TextDecoder>();
  let batch: LogEvent[] = [];
  let batchBytes = 0;
  let offset = from;
  let lastFlush = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const flush = async () => {
    clearTimeout(timer);
    timer = undefined;
    if (batch.length === 0) return;
    const events = batch;
    batch = [];
    batchBytes = 0;
    lastFlush = Date.now();
    await stream.send('log', events, String(offset));
  };
  await pool.call(node, async (c) => {
    for await (const chunk of c.jobs.getJobLogs({ uuid: id, noFollow: false }, { signal: stream.signal })) {
      const end = chunk.offset + chunk.payload.length;
      if (end <= from) continue;
      const payload = chunk.offset < from ? chunk.payload.subarray(from - chunk.offset) : chunk.payload;
      offset = end;
      if (first) {
        first = false;
        onFirst();
      }
      let d = decoders.get(chunk.stream);
      if (!d) decoders.set(chunk.stream, (d = new TextDecoder('utf-8', { fatal: false })));
      const text = d.decode(payload, { stream: true });
      const prev = batch[batch.length - 1];
      if (prev && prev.s === chunk.stream) prev.t += text;
      else batch.push({ s: chunk.stream, t: text });
      batchBytes += payload.length;
      if (batchBytes >= BATCH_BYTES || Date.now() - lastFlush >= BATCH_MS) await flush();
      else timer ??= setTimeout(() => void flush(), BATCH_MS);
    }
  }).catch((err) => {
    if (!stream.signal.aborted) throw err;
  });
  await flush();
}

/** Send the job whenever its status changes; one last time once its output has ended. */
async function followStatus({ pool, node }: RouteContext, stream: EventStream, id: string, last: string, logs: Promise<void>, kick: Kick): Promise<void> {
  let logsDone = false;
  void logs.then(
    () => (logsDone = true),
    () => (logsDone = true),
  );
  for (;;) {
    const wait = new Promise((r) => setTimeout(r, STATUS_POLL_MS).unref());
    await Promise.race([wait, kick.next(), logs.catch(() => undefined), once(stream.signal, 'abort')]);
    if (stream.signal.aborted) return;
    const view = jobJson(await pool.call(node, (c) => c.jobs.getJobStatus({ uuid: id }, { signal: stream.signal })));
    const text = JSON.stringify(view);
    if (text !== last) {
      last = text;
      await stream.send('job', view);
    }
    // The output ends when the job has; its final status may trail by a moment.
    if (logsDone && TERMINAL.has(view.status)) return;
  }
}

/** A wake-up call: next() resolves at the following fire(). */
class Kick {
  private wake?: () => void;

  /** Resolves at the next fire(). */
  next(): Promise<void> {
    return new Promise((r) => (this.wake = r));
  }

  /** Wake whoever waits. */
  fire(): void {
    this.wake?.();
  }
}

/** Which streams a download keeps. */
const STREAMS: Record<string, (c: DataChunk) => boolean> = {
  all: () => true,
  stdout: (c) => c.stream === 1,
  stderr: (c) => c.stream === 2,
};

/** GET jobs/:id/log?stream=all|stdout|stderr: the stored output as a file. */
export const logDownloadRoute: Route = {
  method: 'GET',
  path: 'jobs/:id/log',
  async handle({ pool, node, params, url, res }) {
    const which = url.searchParams.get('stream') ?? 'all';
    const keep = STREAMS[which];
    if (!keep) throw new InvalidArgumentError(`stream must be all, stdout or stderr, not '${which}'`);
    const job = await pool.call(node, (c) => c.jobs.getJobStatus({ uuid: params.id! }));
    const name = `job-${job.uuid}${which === 'all' ? '' : `.${which}`}.log`;
    const controller = new AbortController();
    res.once('close', () => controller.abort());
    await pool.call(node, async (c) => {
      const chunks = c.jobs.getJobLogs({ uuid: job.uuid, noFollow: true }, { signal: controller.signal })[Symbol.asyncIterator]();
      // The first chunk (or the error) comes before the headers, so a failure is still a clean error answer.
      let next = await chunks.next();
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Disposition': `attachment; filename="${name}"`, 'Cache-Control': 'no-store' });
      for (; !next.done; next = await chunks.next()) {
        if (!keep(next.value)) continue;
        if (!res.write(next.value.payload)) await Promise.race([once(res, 'drain'), once(controller.signal, 'abort')]);
        if (controller.signal.aborted) return;
      }
      res.end();
    });
    return HANDLED;
  },
};
