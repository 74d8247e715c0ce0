/**
 * Following a job's output. Followers read the log file, never an in-memory buffer: however slow
 * a reader is, the daemon holds at most one read chunk for it, and the job never waits for it.
 * A follower that keeps up gets every byte the job prints, whatever the log's bound; one that
 * falls further behind than the stored tail is told how many bytes it missed. Writers announce
 * new data on a per-job event emitter carrying the writer's position.
 */
import { EventEmitter } from 'node:events';
import type { LogFrame, LogPosition } from '../../store/log-file';
import { LogReader } from '../../store/log-read';

/** Announces appends and the end of a job's output. */
export class LogSignal extends EventEmitter {
  ended = false;
  /** The writer's position (what a follower may read); updated in place by the writer. */
  position: LogPosition = { headEnd: 0, output: 0 };
  /** Bumped on every append and at the end, so a follower can tell whether anything changed. */
  version = 0;

  constructor() {
    super();
    this.setMaxListeners(0); // one listener per follower; any number may follow a job
  }

  /** New bytes were appended; `pos` is where the writer is now. */
  appended(pos: LogPosition): void {
    this.position = pos;
    this.version++;
    this.emit('change');
  }

  /** The job's output is complete. */
  end(): void {
    this.ended = true;
    this.version++;
    this.emit('change');
  }
}

/**
 * Yield every frame of a log file from the start, then — when `live` is given and has not
 * ended — frames as they arrive, until the output ends or `abort` fires. `size` gives the file's
 * size for a log that is no longer written.
 */
export async function* followLog(file: string, size: () => number, live: LogSignal | undefined, abort: AbortSignal): AsyncGenerator<LogFrame> {
  const reader = new LogReader(file, size);
  try {
    for (;;) {
      if (abort.aborted) return;
      // Read `ended` and the version before reading: output written before the end is then always seen.
      const ended = !live || live.ended;
      const version = live?.version ?? 0;
      const { frames, more } = await reader.read(live?.position);
      for (const f of frames) {
        yield f;
        if (abort.aborted) return;
      }
      if (more) continue;
      if (ended) return;
      // Appends may have happened while we were reading: only sleep when there is nothing new.
      if (live!.version !== version) continue;
      await waitForChange(live!, abort);
    }
  } finally {
    await reader.close();
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
