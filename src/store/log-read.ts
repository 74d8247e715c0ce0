/**
 * Reading a job's log (format in log-file.ts): the head's frames, then the tail's blocks from
 * the oldest one left. While the job runs, a reader takes the writer's in-memory position
 * (LogPosition) as the truth about what exists; afterwards, or after a crash, the marker and
 * the block headers on disk. Where bytes are missing (the bound cut the middle, or a slow reader
 * was overtaken by the ring), the reader yields a notice frame saying how many.
 */
import * as fs from 'node:fs';
import {
  BLOCK_HEADER,
  BLOCK_MAGIC,
  FRAME_HEADER,
  LogStream,
  MARKER_BYTES,
  MAX_FRAME,
  type LogFrame,
  type LogPosition,
  type RingGeometry,
} from './log-file';

/** Bytes read at a time; a reader holds at most one such buffer (plus what the caller keeps). */
const CHUNK = 256 * 1024;

/** One read step: the frames, and whether more is available right now. */
export interface ReadResult {
  frames: LogFrame[];
  more: boolean;
}

/** A frame's stream byte is valid (the ring marker is handled apart). */
function isOutputStream(s: number): boolean {
  return s === LogStream.Stdout || s === LogStream.Stderr || s === LogStream.Notice;
}

/**
 * Whole frames of the head from file offset `offset` up to `limit` (exclusive), in at most
 * `maxBytes`; `output` is the output offset of the first one. Stops at the ring marker, returned
 * apart. A torn frame after a crash ends the read (next stays at it).
 */
export async function readFrames(
  file: string,
  offset: number,
  limit: number,
  maxBytes = CHUNK,
  output = 0,
  io?: { handle: fs.promises.FileHandle; buf: Buffer },
): Promise<{ frames: LogFrame[]; next: number; output: number; marker?: { at: number; payload: Buffer } }> {
  const frames: LogFrame[] = [];
  if (offset >= limit) return { frames, next: offset, output };
  const handle = io?.handle ?? (await fs.promises.open(file, 'r'));
  try {
    const want = Math.min(limit - offset, Math.max(maxBytes, MAX_FRAME + FRAME_HEADER), io?.buf.length ?? Infinity);
    const buf = io?.buf ?? Buffer.allocUnsafe(want);
    const { bytesRead } = await handle.read(buf, 0, want, offset);
    let at = 0;
    while (at + FRAME_HEADER <= bytesRead) {
      const stream = buf.readUInt8(at);
      const len = buf.readUInt32LE(at + 1);
      if (stream === LogStream.Ring) {
        const payload = Buffer.allocUnsafe(MARKER_BYTES);
        const r = await handle.read(payload, 0, MARKER_BYTES, offset + at + FRAME_HEADER);
        if (len !== MARKER_BYTES || r.bytesRead < MARKER_BYTES) break;
        return { frames, next: offset + at, output, marker: { at: offset + at, payload } };
      }
      if (!isOutputStream(stream) || len > MAX_FRAME || at + FRAME_HEADER + len > bytesRead) break; // torn or foreign: stop here
      frames.push({ stream, offset: output, payload: buf.subarray(at + FRAME_HEADER, at + FRAME_HEADER + len) });
      if (stream !== LogStream.Notice) output += len;
      at += FRAME_HEADER + len;
    }
    return { frames, next: offset + at, output };
  } finally {
    if (!io) await handle.close();
  }
}

/**
 * Joins runs of adjacent frames of one stream into one frame: fewer, larger messages cost the
 * transport far less per byte than the pipe-sized pieces the job's output arrived in. The frames
 * must all lie in `buf` (one read); their payloads are moved together inside it, nothing is
 * allocated.
 */
export function coalesce(frames: LogFrame[], buf: Buffer): LogFrame[] {
  const out: LogFrame[] = [];
  let i = 0;
  while (i < frames.length) {
    const first = frames[i]!;
    let end = i + 1;
    while (end < frames.length && first.stream !== LogStream.Notice && frames[end]!.stream === first.stream) end++;
    if (end === i + 1) {
      out.push(first);
    } else {
      const start = first.payload.byteOffset - buf.byteOffset;
      let to = start + first.payload.length;
      for (let k = i + 1; k < end; k++) {
        const p = frames[k]!.payload;
        const from = p.byteOffset - buf.byteOffset;
        buf.copyWithin(to, from, from + p.length);
        to += p.length;
      }
      out.push({ stream: first.stream, offset: first.offset, payload: buf.subarray(start, to) });
    }
    i = end;
  }
  return out;
}

/**
 * The frames with every payload that lies in `buf` copied into one new buffer of exactly their
 * size; other payloads (notices) are kept. The caller may hold them as long as it likes.
 */
export function detach(frames: LogFrame[], buf: Buffer): LogFrame[] {
  const inBuf = (p: Buffer) => p.buffer === buf.buffer && p.byteOffset >= buf.byteOffset && p.byteOffset + p.length <= buf.byteOffset + buf.length;
  const size = frames.reduce((n, f) => n + (inBuf(f.payload) ? f.payload.length : 0), 0);
  if (size === 0) return frames;
  const own = Buffer.allocUnsafe(size);
  let at = 0;
  return frames.map((f) => {
    if (!inBuf(f.payload)) return f;
    f.payload.copy(own, at);
    at += f.payload.length;
    return { ...f, payload: own.subarray(at - f.payload.length, at) };
  });
}

/** What is known about one block. */
interface BlockInfo {
  index: number;
  seq: number;
  used: number;
  outStart: number;
}

/** Reads one job's log forward, from the start. */
export class LogReader {
  private phase: 'head' | 'ring' = 'head';
  private offset = 0;
  private output = 0;
  private geometry?: RingGeometry;
  /** Progress from the marker, for a log that is no longer written. */
  private disk?: { seq: number; output: number };
  private seq = 0;
  private intra = 0;
  private atJunction = true;
  private handle?: fs.promises.FileHandle;
  private buf?: Buffer;

  constructor(
    private readonly file: string,
    private readonly size: () => number,
  ) {}

  /**
   * The next frames. `live` is the writer's position while the job runs (its notion of what
   * exists wins over the file's); undefined when the log is final.
   */
  async read(live: LogPosition | undefined): Promise<ReadResult> {
    const r = await this.readInPlace(live);
    return { frames: this.buf ? detach(r.frames, this.buf) : r.frames, more: r.more };
  }

  /** read(), with payloads that may point into the reader's one buffer. */
  private async readInPlace(live: LogPosition | undefined): Promise<ReadResult> {
    if (this.phase === 'head') {
      const limit = live ? live.headEnd : this.size();
      if (this.offset < limit) {
        const io = { handle: await this.open(), buf: this.buffer() };
        const r = await readFrames(this.file, this.offset, limit, CHUNK, this.output, io);
        const moved = r.next !== this.offset;
        this.offset = r.next;
        this.output = r.output;
        if (r.marker) this.enterRing(readGeometry(r.marker.at, r.marker.payload), r.marker.payload);
        else if (!moved) return { frames: r.frames, more: false }; // torn frame: nothing more is readable
        return { frames: coalesce(r.frames, io.buf), more: true };
      }
      if (!live?.ring) return { frames: [], more: false };
      this.enterRing(live.ring.geometry);
    }
    return this.readRing(live);
  }

  /** The tail block this reader reads next (1 while it is still in the head). */
  get nextBlock(): number {
    return this.phase === 'head' ? 1 : Math.max(1, this.seq);
  }

  /** Release the open file. */
  async close(): Promise<void> {
    const h = this.handle;
    this.handle = undefined;
    await h?.close();
  }

  /**
   * The one read buffer of this reader, reused by every read. read() copies the frames out of it
   * (detach): a gRPC stream may hold written messages unserialized while the next read refills it.
   */
  private buffer(): Buffer {
    this.buf ??= Buffer.allocUnsafe(CHUNK);
    return this.buf;
  }

  private async open(): Promise<fs.promises.FileHandle> {
    this.handle ??= await fs.promises.open(this.file, 'r');
    return this.handle;
  }

  /** pread `length` bytes (less at EOF) into `buf`, through one handle kept open while reading. */
  private async readAt(buf: Buffer, position: number, length = buf.length): Promise<{ bytesRead: number }> {
    const handle = await this.open();
    let got = 0;
    while (got < length) {
      const { bytesRead } = await handle.read(buf, got, length - got, position + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return { bytesRead: got };
  }

  private enterRing(g: RingGeometry, marker?: Buffer): void {
    this.phase = 'ring';
    this.geometry = g;
    this.seq = 1;
    this.intra = 0;
    this.output = g.headOutput;
    if (marker) this.disk = { seq: marker.readDoubleLE(32), output: marker.readDoubleLE(40) };
  }

  private async readRing(live: LogPosition | undefined): Promise<ReadResult> {
    const g = this.geometry!;
    const current = live?.ring ? live.ring.seq : this.disk?.seq ?? 0;
    const oldest = Math.max(1, current - g.blockCount + 1);
    if (current === 0) return { frames: [], more: false };
    if (this.seq < oldest) {
      const first = await this.block(oldest, live);
      if (!first) return { frames: [], more: false };
      const notice = this.skipNotice(first.outStart - this.output, live);
      this.seq = oldest;
      this.intra = 0;
      this.output = first.outStart;
      return { frames: [notice], more: true };
    }
    const b = await this.block(this.seq, live);
    if (!b) return { frames: [], more: false }; // a block that was never written (crash): the end
    if (b.seq !== this.seq) return { frames: [], more: true }; // overwritten meanwhile: the next step skips
    if (this.intra < b.used) {
      const want = Math.min(b.used - this.intra, CHUNK);
      const buf = this.buffer();
      const at = g.base + b.index * g.blockSize + BLOCK_HEADER + this.intra;
      const { bytesRead } = await this.readAt(buf, at, want);
      // The writer may have reused the block while we read: then what we read is not this block.
      if (live?.ring && live.ring.seqs[b.index] !== this.seq) return { frames: [], more: true };
      const frames: LogFrame[] = [];
      let p = 0;
      while (p + FRAME_HEADER <= bytesRead) {
        const stream = buf.readUInt8(p);
        const len = buf.readUInt32LE(p + 1);
        if (!isOutputStream(stream) || len > MAX_FRAME) {
          p = b.used - this.intra; // the end marker (or a corrupt block): nothing more in this block
          break;
        }
        if (p + FRAME_HEADER + len > bytesRead) break;
        frames.push({ stream, offset: this.output, payload: buf.subarray(p + FRAME_HEADER, p + FRAME_HEADER + len) });
        if (stream !== LogStream.Notice) this.output += len;
        p += FRAME_HEADER + len;
      }
      if (p === 0 && bytesRead < want) return { frames, more: false }; // short read of a crashed log
      this.intra += p;
      this.atJunction = false;
      return { frames: coalesce(frames, buf), more: true };
    }
    if (this.seq < current) {
      this.seq++;
      this.intra = 0;
      this.atJunction = false;
      return { frames: [], more: true };
    }
    return { frames: [], more: false };
  }

  /** Block `seq`'s index, length and first output offset: from the writer while live, else from its header. */
  private async block(seq: number, live: LogPosition | undefined): Promise<BlockInfo | undefined> {
    const g = this.geometry!;
    const index = (seq - 1) % g.blockCount;
    if (live?.ring) {
      const r = live.ring;
      return { index, seq: r.seqs[index]!, used: r.used[index]!, outStart: r.outStart[index]! };
    }
    const h = Buffer.allocUnsafe(BLOCK_HEADER);
    const { bytesRead } = await this.readAt(h, g.base + index * g.blockSize);
    if (bytesRead < BLOCK_HEADER || h.readUInt32LE(0) !== BLOCK_MAGIC) return undefined;
    // The recorded length of the block being written when the daemon stopped may be stale: read
    // to the block's end instead; the zeroed header after its last frame stops the parse.
    const found = h.readDoubleLE(8);
    const used = found === this.disk?.seq ? g.blockSize - BLOCK_HEADER : Math.min(h.readUInt32LE(4), g.blockSize - BLOCK_HEADER);
    return { index, seq: found, used, outStart: h.readDoubleLE(16) };
  }

  private skipNotice(skipped: number, live: LogPosition | undefined): LogFrame {
    const g = this.geometry!;
    let text: string;
    if (this.atJunction) {
      const total = live ? live.output : this.disk?.output ?? 0;
      const printed = total > g.maxBytes ? `more than ${g.maxBytes} bytes` : `${total} bytes`;
      text = `[joblet] output truncated: this job printed ${printed}; ${skipped} bytes were skipped here (the stored log keeps the first and the last bytes: jobs.maxLogBytes, jobs.logHeadBytes)\n`;
    } else {
      text = `[joblet] ${skipped} bytes of output were skipped here: this reader fell behind the stored log (jobs.maxLogBytes)\n`;
    }
    this.atJunction = false;
    return { stream: LogStream.Notice, offset: this.output, payload: Buffer.from(text) };
  }
}

/** The geometry recorded in a ring marker at file offset `at`. */
function readGeometry(at: number, m: Buffer): RingGeometry {
  return { base: at + FRAME_HEADER + MARKER_BYTES, blockSize: m.readUInt32LE(4), blockCount: m.readUInt32LE(8), headOutput: m.readDoubleLE(16), maxBytes: m.readDoubleLE(24) };
}
