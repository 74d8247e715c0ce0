/**
 * Reads a request body in pieces of a chosen size, pulling from the socket only as fast as the
 * reader asks (so an upload is paced by the gRPC stream it feeds, and never held whole).
 */
import { InvalidArgumentError } from '../../shared/errors';

/** Pull-based reader over an async iterable of buffers. */
export class ByteReader {
  private readonly it: AsyncIterator<Buffer>;
  private pending: Buffer = Buffer.alloc(0);
  private done = false;

  constructor(source: AsyncIterable<Buffer>) {
    this.it = source[Symbol.asyncIterator]();
  }

  /** At least 1 and at most `max` bytes; refuses an early end, naming `what` was being read. */
  async upTo(max: number, what: string): Promise<Buffer> {
    while (this.pending.length === 0) {
      if (!(await this.fill())) throw new InvalidArgumentError(`the upload body ended early, in ${what}`);
    }
    const out = this.pending.subarray(0, max);
    this.pending = this.pending.subarray(out.length);
    return out;
  }

  /** Exactly `n` bytes. */
  async exactly(n: number, what: string): Promise<Buffer> {
    const parts: Buffer[] = [];
    for (let left = n; left > 0; ) {
      const b = await this.upTo(left, what);
      parts.push(b);
      left -= b.length;
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }

  /** True when nothing is left. */
  async atEnd(): Promise<boolean> {
    while (this.pending.length === 0) if (!(await this.fill())) return true;
    return false;
  }

  private async fill(): Promise<boolean> {
    if (this.done) return false;
    const r = await this.it.next();
    if (r.done) {
      this.done = true;
      return false;
    }
    this.pending = this.pending.length ? Buffer.concat([this.pending, r.value]) : r.value;
    return true;
  }
}
