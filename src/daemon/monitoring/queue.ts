/** A queue between a push source (sample listeners) and an async generator that ends on abort. */

/** Items pushed are yielded in order; end() lets the consumer finish after the last one. */
export class AsyncQueue<T> {
  private items: T[] = [];
  private ended = false;
  private wake?: () => void;

  /** Add an item. */
  push(item: T): void {
    this.items.push(item);
    this.wake?.();
  }

  /** No more items will come. */
  end(): void {
    this.ended = true;
    this.wake?.();
  }

  /** Wake the consumer without an item (it re-checks its own conditions). */
  poke(): void {
    this.wake?.();
  }

  /** Wait until there is an item, the queue ended, poke() was called, the signal aborted, or `ms` passed. */
  async wait(signal: AbortSignal, ms: number): Promise<void> {
    if (this.items.length > 0 || this.ended || signal.aborted) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done);
      this.wake = done;
    });
  }

  /** Take every queued item. */
  take(): T[] {
    const out = this.items;
    this.items = [];
    return out;
  }

  /** Number of queued items. */
  get size(): number {
    return this.items.length;
  }

  /** True once end() was called. */
  get isEnded(): boolean {
    return this.ended;
  }
}

/** Sleep `ms`, or less when the signal aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done);
  });
}
