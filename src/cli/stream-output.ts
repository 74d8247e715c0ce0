/**
 * Following a job's output: copying its log stream to our stdout/stderr (waiting for the terminal
 * when it is slow), and Ctrl-C, which stops following while the job keeps running.
 */
import { once } from 'node:events';
import { isAbortError } from 'abort-controller-x';
import type { DataChunk } from '../gen/joblet';
import type { Connection } from './client';

/** Copy chunks to stdout (stream 1) or stderr (2 and joblet's own notices, 3). */
export async function writeChunks(chunks: AsyncIterable<DataChunk>, out: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream }, signal?: AbortSignal): Promise<void> {
  for await (const c of chunks) {
    const target = c.stream === 2 || c.stream === 3 ? out.stderr : out.stdout;
    // Backpressure: a slow terminal or pipe slows the stream, never our memory.
    if (!target.write(c.payload)) await once(target, 'drain', { signal });
  }
}

/** Where SIGINT comes from (the process; tests may pass their own emitter). */
export type Signals = Pick<NodeJS.EventEmitter, 'once' | 'off'>;

/**
 * Print a job's output until it ends ('ended') or until SIGINT ('detached'): the first Ctrl-C
 * stops following and leaves the job running.
 */
export async function followJob(
  conn: Connection,
  id: string,
  io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream },
  opts: { noFollow?: boolean; signals?: Signals } = {},
): Promise<'ended' | 'detached'> {
  const signals = opts.signals ?? process;
  const abort = new AbortController();
  const onInterrupt = () => abort.abort();
  signals.once('SIGINT', onInterrupt);
  try {
    await writeChunks(conn.jobs.getJobLogs({ uuid: id, noFollow: opts.noFollow ?? false }, { signal: abort.signal }), io, abort.signal);
    return 'ended';
  } catch (err) {
    if (abort.signal.aborted && (isAbortError(err) || (err as Error).name === 'AbortError')) return 'detached';
    throw err;
  } finally {
    signals.off('SIGINT', onInterrupt);
  }
}

/** Wait up to `ms` for another SIGINT; true if it came. */
export function secondInterrupt(ms: number, signals: Signals = process): Promise<boolean> {
  return new Promise((resolve) => {
    const onInterrupt = () => {
      clearTimeout(timer);
      resolve(true);
    };
    const timer = setTimeout(() => {
      signals.off('SIGINT', onInterrupt);
      resolve(false);
    }, ms);
    signals.once('SIGINT', onInterrupt);
  });
}

/** Exit status after Ctrl-C, as shells report a process ended by SIGINT. */
export const EXIT_INTERRUPTED = 130;
