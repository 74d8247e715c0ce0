/**
 * Following a job's output. Followers read the log file, never an in-memory buffer: however slow
 * a reader is, the daemon holds at most one read chunk for it, and nothing a job prints is lost to
 * a slow follower. Writers announce new data on a per-job event emitter.
 */
import { EventEmitter } from 'node:events';
import { readFrames, type LogFrame } from '../../store/log-file';

/** Announces appends and the end of a job's output. */
export class LogSignal extends EventEmitter {
  ended = false;
  size = 0;

  constructor() {
    super();
    this.setMaxListeners(0); // one listener per follower; any number may follow a job
  }

  /** New bytes were appended; the file is now `size` long. */
  appended(size: number): void {
    this.size = size;
    this.emit('change');
  }

  /** The job's output is complete. */
  end(): void {
    this.ended = true;
    this.emit('change');
  }
}

/**
 * Yield every frame of a log file from the start, then — when `signal` is given and has not
 * ended — frames as they arrive, until the output ends or `abort` fires.
 */
export async function* followLog(file: string, size: () => number, live: LogSignal | undefined, abort: AbortSignal): AsyncGenerator<LogFrame> {
  let offset = 0;
  for (;;) {
    if (abort.aborted) return;
    // Read `ended` before the size: output written before the end is then always seen.
    const ended = !live || live.ended;
    const limit = live ? live.size : size();
    while (offset < limit) {
      const { frames, next } = await readFrames(file, offset, limit);
      if (next === offset) break; // torn frame after a crash: nothing more can be read
      offset = next;
      for (const f of frames) yield f;
      if (abort.aborted) return;
    }
    if (ended) return;
    // Appends may have happened while we were reading: only sleep when there is nothing new.
    if (live!.size > offset || live!.ended) continue;
    await waitForChange(live!, abort);
  }
}

function waitForChange(live: LogSignal, abort: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      live.off('change', done);
      abort.removeEventListener('abort', done);
      resolve();
    };
    live.on('change', done);
    abort.addEventListener('abort', done);
  });
}
