/**
 * A job's output for an agent: the tail of each stream, bounded, with a note saying what was cut.
 * Only the last `max` bytes of a stream are ever held, however much the job prints.
 */
import type { DataChunk } from '../gen/joblet';

/** The last `max` bytes written to it, and how many were written in all. */
export class TailBuffer {
  private parts: Buffer[] = [];
  private held = 0;
  /** Bytes written in all. */
  total = 0;

  constructor(readonly max: number) {}

  /** Append bytes, dropping the oldest past `max`. */
  push(b: Uint8Array): void {
    this.total += b.length;
    // Copied, and never more than `max` of one piece: a huge chunk is not held whole.
    this.parts.push(Buffer.from(b.subarray(Math.max(0, b.length - this.max))));
    this.held += this.parts[this.parts.length - 1]!.length;
    while (this.held - this.parts[0]!.length >= this.max) this.held -= this.parts.shift()!.length;
  }

  /** True when bytes were dropped. */
  get truncated(): boolean {
    return this.total > this.max;
  }

  /** The kept bytes as text; a character cut in half at the start is dropped. */
  text(): string {
    const all = Buffer.concat(this.parts);
    const tail = all.subarray(Math.max(0, all.length - this.max));
    return tail.toString('utf8').replace(/^\uFFFD+/, '');
  }
}

/** Tails of stdout and stderr (joblet's own notices go with stderr, as rnx prints them). */
export class OutputTails {
  readonly stdout: TailBuffer;
  readonly stderr: TailBuffer;

  constructor(max: number) {
    this.stdout = new TailBuffer(max);
    this.stderr = new TailBuffer(max);
  }

  /** Add one chunk of a job's log stream. */
  add(c: DataChunk): void {
    (c.stream === 2 || c.stream === 3 ? this.stderr : this.stdout).push(c.payload);
  }

  /** What was cut, e.g. "stdout: showing the last 65536 of 1048576 bytes"; '' when nothing was. */
  note(hint: string): string {
    const cut = (['stdout', 'stderr'] as const).filter((s) => this[s].truncated).map((s) => `${s}: showing the last ${this[s].max} of ${this[s].total} bytes`);
    return cut.length ? `${cut.join('; ')} (${hint})` : '';
  }
}
