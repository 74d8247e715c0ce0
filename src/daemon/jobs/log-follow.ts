/**
 * Following a job's output. Followers read the log file, never an in-memory buffer, so the
 * daemon holds at most one read chunk per follower, whatever the job prints.
 *
 * Flow: a follower that keeps up receives every byte, whatever the log's bound. When the job
 * prints faster than a live follower reads and the tail is about to overwrite what that follower
 * has not read yet, the job's output is paused (its pipe fills, its writes wait) until the
 * follower catches up. A follower that makes no room within GRACE_MS is slow: the job goes on
 * without it, and it is told how many bytes it missed. So a job waits at most GRACE_MS for a
 * stalled client, never longer, and a client reading at transport speed loses nothing.
 */
import { EventEmitter } from 'node:events';
import { FRAME_HEADER, MAX_FRAME, BLOCK_HEADER, type LogFrame, type LogPosition } from '../../store/log-file';
import { LogReader } from '../../store/log-read';

/** How long the job's output may wait for a live follower that makes no room. */
export const GRACE_MS = 500;

/** A follower as the flow control sees it. */
interface Follower {
  /** The tail block it reads next. */
  block: number;
  /** Given up on: the job no longer waits for it (until it catches up again). */
  dropped: boolean;
}

/** Announces appends and the end of a job's output, and paces the job to its live followers. */
export class LogSignal extends EventEmitter {
  ended = false;
  /** The writer's position (what a follower may read); updated in place by the writer. */
  position: LogPosition = { headEnd: 0, output: 0 };
  /** Bumped on every append and at the end, so a follower can tell whether anything changed. */
  version = 0;
  private readonly followers = new Set<Follower>();
  private wait?: { promise: Promise<void>; resolve: () => void; timer: NodeJS.Timeout };

  constructor() {
    super();
    this.setMaxListeners(0); // one listener per follower; any number may follow a job
  }

  /** New bytes were appended; `pos` is where the writer is now. A promise: pause the job until it resolves. */
  appended(pos: LogPosition): Promise<void> | undefined {
    this.position = pos;
    this.version++;
    this.emit('change');
    return this.room();
  }

  /** The job's output is complete. */
  end(): void {
    this.ended = true;
    this.version++;
    this.release();
    this.emit('change');
  }

  /** A follower starts; it is paced for only once it is close enough to the writer. */
  attach(): Follower {
    const f: Follower = { block: 1, dropped: false };
    f.dropped = this.lag(f) >= this.limit() / 2;
    this.followers.add(f);
    return f;
  }

  /** A follower read up to `block`. */
  progress(f: Follower, block: number): void {
    f.block = block;
    if (f.dropped && this.lag(f) <= this.limit() / 2) f.dropped = false;
    if (this.wait && this.roomAgain()) this.release();
  }

  /** A follower is gone. */
  detach(f: Follower): void {
    this.followers.delete(f);
    if (this.wait && this.roomAgain()) this.release();
  }

  /** Blocks from a follower's block to the writer's, inclusive (0 before the tail exists). */
  private lag(f: Follower): number {
    const r = this.position.ring;
    return r ? r.seq - f.block + 1 : 0;
  }

  private maxLag(): number {
    let max = 0;
    for (const f of this.followers) if (!f.dropped) max = Math.max(max, this.lag(f));
    return max;
  }

  /**
   * How far ahead (in blocks) the writer may get: the tail's blocks, less room for what still
   * arrives after a pause (a chunk per stream); a tiny tail keeps at least half of itself.
   */
  private limit(): number {
    const g = this.position.ring?.geometry;
    if (!g) return Infinity;
    const reserve = Math.ceil((2 * (MAX_FRAME + FRAME_HEADER)) / (g.blockSize - BLOCK_HEADER)) + 1;
    return Math.max(1, g.blockCount - Math.min(reserve, Math.floor(g.blockCount / 2)));
  }

  /** True when the job, paused, may go on: every paced follower is well inside the limit. */
  private roomAgain(): boolean {
    const limit = this.limit();
    return this.maxLag() <= limit - Math.max(1, Math.floor(limit / 8));
  }

  private room(): Promise<void> | undefined {
    if (this.ended || this.maxLag() < this.limit()) return undefined;
    if (!this.wait) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      const timer = setTimeout(() => {
        // Still no room: the lagging followers are slow. The job goes on; they will skip.
        for (const f of this.followers) if (!f.dropped && this.lag(f) >= this.limit()) f.dropped = true;
        this.release();
      }, GRACE_MS);
      this.wait = { promise, resolve, timer };
    }
    return this.wait.promise;
  }

  private release(): void {
    const w = this.wait;
    if (!w) return;
    this.wait = undefined;
    clearTimeout(w.timer);
    w.resolve();
  }
}

/**
 * Yield every frame of a log file from the start, then — when `live` is given and has not
 * ended — frames as they arrive, until the output ends or `abort` fires. `size` gives the file's
 * size for a log that is no longer written.
 */
export async function* followLog(file: string, size: () => number, live: LogSignal | undefined, abort: AbortSignal): AsyncGenerator<LogFrame> {
  const reader = new LogReader(file, size);
  const me = live && !live.ended ? live.attach() : undefined;
  try {
    for (;;) {
      if (abort.aborted) return;
      // Read `ended` and the version before reading: output written before the end is then always seen.
      const ended = !live || live.ended;
      const version = live?.version ?? 0;
      const { frames, more } = await reader.read(live?.position);
      if (me) live!.progress(me, reader.nextBlock);
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
    if (me) live!.detach(me);
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
