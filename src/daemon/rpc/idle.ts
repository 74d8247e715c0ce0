/**
 * A client stream with an idle limit: when no message arrives for `ms`, iteration fails with
 * DEADLINE_EXCEEDED and the stream is closed, so a stalled upload cannot hold a workspace and a
 * concurrency slot forever.
 */
import { JobletError } from '../../shared/errors';

/** Wrap `source`; each next() must answer within `ms`. */
export async function* idleLimited<T>(source: AsyncIterable<T>, ms: number, message: string): AsyncGenerator<T> {
  const it = source[Symbol.asyncIterator]();
  try {
    for (;;) {
      let timer: NodeJS.Timeout | undefined;
      const idle = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new JobletError('DEADLINE_EXCEEDED', message)), ms);
      });
      let r: IteratorResult<T>;
      try {
        const next = it.next();
        next.catch(() => undefined); // after a timeout nobody awaits it: never an unhandled rejection
        r = await Promise.race([next, idle]);
      } finally {
        clearTimeout(timer);
      }
      if (r.done) return;
      yield r.value;
    }
  } finally {
    // Ends the underlying call stream; its pending next() (if any) is dropped.
    void Promise.resolve(it.return?.()).catch(() => undefined);
  }
}
