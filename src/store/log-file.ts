/**
 * A job's output on disk, bounded to `maxBytes`, keeping its beginning and its end:
 *
 *   [head: frames, up to headBytes of the file]
 *   [ring marker frame: geometry and progress of the tail]
 *   [tail: blockCount blocks of blockSize bytes, used as a ring]
 *
 * A frame is `[stream u8][length u32 LE][payload]`; frames keep stdout and stderr apart and in the
 * order the daemon received them. Output that fits the head is stored exactly as it came (a log
 * with no marker is the whole output). After the head, frames go into ring blocks; once all
 * blocks are used the oldest block is overwritten, so the stored log then holds the first
 * headBytes and the last (maxBytes − headBytes) of the output, and readers say how many bytes were
 * skipped in between. Each block starts at a frame boundary and records its sequence number and
 * the output offset of its first frame, so a reader can always resume at the oldest block left.
 *
 * The writer never waits for readers: daemon memory does not depend on how much a job prints or
 * how slowly anyone reads. Readers are in log-read.ts. A write error (a full disk) stops the
 * writer: the first error is kept in `failed` and later output is dropped, never thrown into the
 * stream handler that delivered it.
 */
import * as fs from 'node:fs';

/** Which stream a frame belongs to. */
export const enum LogStream {
  Stdout = 1,
  Stderr = 2,
  /** A notice from joblet itself (e.g. "output truncated"). */
  Notice = 3,
  /** The ring marker: where the head ends and the tail's blocks begin (never sent to clients). */
  Ring = 4,
}

/** Bytes of a frame header. */
export const FRAME_HEADER = 5;
/** Largest payload of one frame; bigger writes are split. */
export const MAX_FRAME = 64 * 1024;
/** Bytes of the ring marker's payload. */
export const MARKER_BYTES = 48;
/** Bytes of a block header: magic, used, seq, outStart. */
export const BLOCK_HEADER = 24;
/** "JBK1" (little-endian), the first word of every written block. */
export const BLOCK_MAGIC = 0x314b424a;
/** Most blocks a tail is cut into (a reader may scan all their headers). */
const MAX_BLOCKS = 256;
/** Written after the last frame of a block: a header that no frame has. */
const END = Buffer.alloc(FRAME_HEADER);
/** Default share of the bound kept for the beginning of the output. */
export const DEFAULT_HEAD_BYTES = 4 * 1024 * 1024;

/** One frame read back; `offset` is its position in the job's output (bytes printed before it). */
export interface LogFrame {
  stream: LogStream;
  offset: number;
  payload: Buffer;
}

/** The tail's layout, as the marker records it. */
export interface RingGeometry {
  /** File offset of block 0. */
  base: number;
  blockSize: number;
  blockCount: number;
  /** Output offset where the head ended (the first ring frame's offset). */
  headOutput: number;
  /** The bound the log was written with (jobs.maxLogBytes). */
  maxBytes: number;
}

/** Live state of the tail, per block index (seq 0: never written). */
export interface RingState {
  geometry: RingGeometry;
  /** Sequence number (1, 2, ...) of the block now being written. */
  seq: number;
  seqs: Float64Array;
  used: Uint32Array;
  outStart: Float64Array;
}

/** Where the writer is: everything a live reader may read, without touching the disk. */
export interface LogPosition {
  /** Bytes of head frames written (the marker, if any, starts here). */
  headEnd: number;
  /** The tail, once the head is full. */
  ring?: RingState;
  /** Output bytes (stdout + stderr) received so far. */
  output: number;
}

/** Head size for a bound when none is configured: 4 MiB, at most a quarter of the bound. */
export function defaultHeadBytes(maxBytes: number): number {
  return Math.min(DEFAULT_HEAD_BYTES, Math.floor(maxBytes / 4));
}

/** Block size and count for a tail of `bytes`: at most MAX_BLOCKS blocks, at least two, ≥ 512 bytes each. */
export function ringLayout(bytes: number): { blockSize: number; blockCount: number } {
  const blockSize = Math.max(512, Math.ceil(bytes / MAX_BLOCKS / 512) * 512);
  return { blockSize, blockCount: Math.max(2, Math.floor(bytes / blockSize)) };
}

/** Appends a job's output to its log file within the bound. */
export class LogWriter {
  private readonly fd: number;
  private readonly headBytes: number;
  private readonly pos: LogPosition;
  private readonly hdr = Buffer.allocUnsafe(FRAME_HEADER);
  private readonly word = Buffer.allocUnsafe(4);
  private markerAt = -1;
  private closed = false;
  /** True once the tail wrapped: the stored log is missing part of the middle of the output. */
  truncated = false;
  /** The first write error (e.g. ENOSPC); later output is dropped. */
  failed: Error | undefined;

  constructor(
    readonly file: string,
    private readonly maxBytes: number,
    private readonly onAppend: (pos: LogPosition) => void | Promise<void>,
    headBytes = defaultHeadBytes(maxBytes),
  ) {
    this.headBytes = Math.max(0, Math.min(headBytes, maxBytes - 1024));
    this.fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_TRUNC | fs.constants.O_NOFOLLOW, 0o600);
    this.pos = { headEnd: 0, output: 0 };
  }

  /**
   * Store output of the job. Returns true, or a promise when the caller should pause the job's
   * output until it resolves (a live follower is about to be overtaken; see log-follow.ts).
   */
  write(stream: LogStream.Stdout | LogStream.Stderr, data: Buffer): true | Promise<void> {
    // Never write after close: the fd number may already belong to another file.
    if (this.closed || this.failed || data.length === 0) return true;
    this.guarded(() => this.append(stream, data));
    // Followers still get what was written before a failure; the position only counts written frames.
    return this.onAppend(this.pos) ?? true;
  }

  /** Store a notice from joblet itself (not counted as output). */
  notice(text: string): void {
    if (this.closed || this.failed) return;
    this.guarded(() => this.append(LogStream.Notice, Buffer.from(text)));
    void this.onAppend(this.pos);
  }

  /**
   * Record the final totals and close (once; later calls do nothing). No fsync: a job's end must
   * not wait for the disk (the totals are two small writes into the page cache).
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.finish();
    } finally {
      fs.closeSync(this.fd);
    }
  }

  /** close() without blocking the event loop on close(2) (which may flush on some filesystems). */
  async closeAsync(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const fd = this.fd;
    try {
      this.finish();
    } finally {
      await new Promise<void>((resolve, reject) => fs.close(fd, (err) => (err ? reject(err) : resolve())));
    }
  }

  /** Writes the ring's final totals, unless writing already failed. */
  private finish(): void {
    if (this.markerAt < 0 || this.failed) return;
    this.finishBlock();
    this.writeMarkerProgress();
  }

  private guarded(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.failed = err as Error;
    }
  }

  private append(stream: LogStream, data: Buffer): void {
    let at = 0;
    while (at < data.length) {
      if (!this.pos.ring) {
        // Notices always fit the head (they are few and short); output only up to headBytes.
        const room = stream === LogStream.Notice ? data.length : this.headBytes - this.pos.headEnd - FRAME_HEADER;
        if (room > 0) {
          const part = data.subarray(at, at + Math.min(room, MAX_FRAME));
          this.writeFrame(stream, part, this.pos.headEnd);
          this.pos.headEnd += FRAME_HEADER + part.length;
          at += part.length;
          if (stream !== LogStream.Notice) this.pos.output += part.length;
          continue;
        }
        this.startRing();
      }
      const r = this.pos.ring!;
      const g = r.geometry;
      let index = (r.seq - 1) % g.blockCount;
      if (g.blockSize - BLOCK_HEADER - r.used[index]! <= FRAME_HEADER) index = this.startBlock();
      const room = g.blockSize - BLOCK_HEADER - r.used[index]! - FRAME_HEADER;
      const part = data.subarray(at, at + Math.min(room, MAX_FRAME));
      const blockAt = g.base + index * g.blockSize;
      const used = r.used[index]! + FRAME_HEADER + part.length;
      // A zeroed header after the frame (overwritten by the next one) ends the block for a reader
      // after a crash, before any older frames of this slot; `used` goes to disk per block only.
      this.writeFrame(stream, part, blockAt + BLOCK_HEADER + r.used[index]!, g.blockSize - BLOCK_HEADER - used >= FRAME_HEADER);
      r.used[index] = used;
      at += part.length;
      if (stream !== LogStream.Notice) this.pos.output += part.length;
    }
  }

  private writeFrame(stream: LogStream, payload: Buffer, position: number, terminate = false): void {
    this.hdr.writeUInt8(stream, 0);
    this.hdr.writeUInt32LE(payload.length, 1);
    const want = FRAME_HEADER + payload.length + (terminate ? FRAME_HEADER : 0);
    const n = fs.writevSync(this.fd, terminate ? [this.hdr, payload, END] : [this.hdr, payload], position);
    if (n !== want) throw new Error(`short write to ${this.file} (${n} of ${want} bytes)`);
  }

  /** Records the final length of the block being written (when it is finished, or at close). */
  private finishBlock(): void {
    const r = this.pos.ring!;
    const index = (r.seq - 1) % r.geometry.blockCount;
    this.word.writeUInt32LE(r.used[index]!, 0);
    fs.writeSync(this.fd, this.word, 0, 4, r.geometry.base + index * r.geometry.blockSize + 4);
  }

  /** The head is full: write the marker and open the first block. */
  private startRing(): void {
    const { blockSize, blockCount } = ringLayout(this.maxBytes - this.pos.headEnd - FRAME_HEADER - MARKER_BYTES);
    this.markerAt = this.pos.headEnd;
    const geometry: RingGeometry = { base: this.markerAt + FRAME_HEADER + MARKER_BYTES, blockSize, blockCount, headOutput: this.pos.output, maxBytes: this.maxBytes };
    const m = Buffer.alloc(MARKER_BYTES);
    m.writeUInt32LE(1, 0); // version
    m.writeUInt32LE(blockSize, 4);
    m.writeUInt32LE(blockCount, 8);
    m.writeDoubleLE(geometry.headOutput, 16);
    m.writeDoubleLE(this.maxBytes, 24);
    // 32: seq of the block being written; 40: output bytes so far (both updated as it goes).
    this.writeFrame(LogStream.Ring, m, this.markerAt);
    this.pos.ring = { geometry, seq: 0, seqs: new Float64Array(blockCount), used: new Uint32Array(blockCount), outStart: new Float64Array(blockCount) };
    this.startBlock();
  }

  /** Opens the next block (overwriting the oldest once all are used); returns its index. */
  private startBlock(): number {
    const r = this.pos.ring!;
    const g = r.geometry;
    if (r.seq > 0) this.finishBlock();
    r.seq++;
    const index = (r.seq - 1) % g.blockCount;
    if (r.seq > g.blockCount) this.truncated = true;
    r.seqs[index] = r.seq;
    r.used[index] = 0;
    r.outStart[index] = this.pos.output;
    const h = Buffer.allocUnsafe(BLOCK_HEADER);
    h.writeUInt32LE(BLOCK_MAGIC, 0);
    h.writeUInt32LE(0, 4);
    h.writeDoubleLE(r.seq, 8);
    h.writeDoubleLE(this.pos.output, 16);
    fs.writeSync(this.fd, h, 0, BLOCK_HEADER, g.base + index * g.blockSize);
    this.writeMarkerProgress();
    return index;
  }

  private writeMarkerProgress(): void {
    const p = Buffer.allocUnsafe(16);
    p.writeDoubleLE(this.pos.ring!.seq, 0);
    p.writeDoubleLE(this.pos.output, 8);
    fs.writeSync(this.fd, p, 0, 16, this.markerAt + FRAME_HEADER + 32);
  }
}

/** Size of a log file, 0 when it does not exist. */
export function logSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}
