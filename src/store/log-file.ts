/**
 * A job's output on disk: a sequence of frames, each `[stream u8][length u32 LE][payload]`.
 * Frames keep stdout and stderr apart and in the order the daemon received them, and let a
 * follower resume from any frame boundary by byte offset. Writers append whole frames with one
 * write(2), so a reader never sees half a frame except after a crash, where it stops at it.
 */
import * as fs from 'node:fs';

/** Which stream a frame belongs to. */
export const enum LogStream {
  Stdout = 1,
  Stderr = 2,
  /** A notice from joblet itself (e.g. "output truncated"). */
  Notice = 3,
}

const HEADER = 5;
/** Largest payload of one frame; bigger writes are split. */
const MAX_FRAME = 64 * 1024;

/** One frame read back. */
export interface LogFrame {
  stream: LogStream;
  offset: number;
  payload: Buffer;
}

/** Appends frames to a job's log file, enforcing the per-job cap. */
export class LogWriter {
  private readonly fd: number;
  private size: number;
  private stored = 0;
  /** True once output was cut at the cap. */
  truncated = false;
  /** The first write error (e.g. ENOSPC); later output is dropped instead of throwing into a stream handler. */
  failed: Error | undefined;
  private closed = false;

  constructor(
    readonly file: string,
    private readonly capBytes: number,
    private readonly onAppend: (size: number) => void,
  ) {
    this.fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_APPEND | fs.constants.O_NOFOLLOW, 0o600);
    this.size = fs.fstatSync(this.fd).size;
  }

  /** Current file size (the offset the next frame will have). */
  get length(): number {
    return this.size;
  }

  /** Store output of the job; anything past the cap is dropped once a notice says so. */
  write(stream: LogStream.Stdout | LogStream.Stderr, data: Buffer): void {
    // Never write after close: the fd number may already belong to another file.
    if (this.closed || this.failed || this.truncated || data.length === 0) return;
    const room = this.capBytes - this.stored;
    if (data.length > room) {
      if (room > 0) this.append(stream, data.subarray(0, room));
      this.truncated = true;
      this.notice(`[joblet] output truncated: this job printed more than ${this.capBytes} bytes; the rest was not stored\n`);
      return;
    }
    this.append(stream, data);
  }

  /** Store a notice from joblet itself (not counted against the cap). */
  notice(text: string): void {
    if (this.closed || this.failed) return;
    this.appendFrame(LogStream.Notice, Buffer.from(text));
    this.onAppend(this.size);
  }

  private append(stream: LogStream, data: Buffer): void {
    for (let at = 0; at < data.length; at += MAX_FRAME) {
      const part = data.subarray(at, at + MAX_FRAME);
      this.appendFrame(stream, part);
      this.stored += part.length;
    }
    this.onAppend(this.size);
  }

  private appendFrame(stream: LogStream, payload: Buffer): void {
    if (this.failed) return;
    const frame = Buffer.allocUnsafe(HEADER + payload.length);
    frame.writeUInt8(stream, 0);
    frame.writeUInt32LE(payload.length, 1);
    payload.copy(frame, HEADER);
    try {
      const n = fs.writeSync(this.fd, frame);
      if (n !== frame.length) throw new Error(`short write (${n} of ${frame.length} bytes)`);
    } catch (err) {
      this.failed = err as Error;
      return;
    }
    this.size += frame.length;
  }

  /**
   * Flush and close without blocking the event loop (an fsync on a busy disk can take long, and
   * the daemon's timers and calls must not wait for it). Later calls do nothing.
   */
  async closeAsync(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const fd = this.fd;
    try {
      await new Promise<void>((resolve, reject) => fs.fdatasync(fd, (err) => (err ? reject(err) : resolve())));
    } finally {
      await new Promise<void>((resolve, reject) => fs.close(fd, (err) => (err ? reject(err) : resolve())));
    }
  }

  /** Flush and close (once; later calls do nothing). Throws when the flush or close fails. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      fs.fsyncSync(this.fd);
    } finally {
      fs.closeSync(this.fd);
    }
  }
}

/**
 * Read whole frames from `offset` up to `limit` (exclusive) in at most `maxBytes` of payload.
 * Returns the frames and the offset to continue from.
 */
export async function readFrames(file: string, offset: number, limit: number, maxBytes = 256 * 1024): Promise<{ frames: LogFrame[]; next: number }> {
  const frames: LogFrame[] = [];
  if (offset >= limit) return { frames, next: offset };
  const handle = await fs.promises.open(file, 'r');
  try {
    const want = Math.min(limit - offset, maxBytes + HEADER);
    const buf = Buffer.allocUnsafe(want);
    const { bytesRead } = await handle.read(buf, 0, want, offset);
    let at = 0;
    while (at + HEADER <= bytesRead) {
      const len = buf.readUInt32LE(at + 1);
      if (at + HEADER + len > bytesRead) {
        // A frame larger than what we read this time: read it on its own (frames are ≤ 64 KiB).
        if (at === 0) {
          const whole = Buffer.allocUnsafe(len);
          const r = await handle.read(whole, 0, len, offset + HEADER);
          if (r.bytesRead < len) break; // torn frame after a crash: stop here
          frames.push({ stream: buf.readUInt8(0) as LogStream, offset, payload: whole });
          at = HEADER + len;
        }
        break;
      }
      frames.push({ stream: buf.readUInt8(at) as LogStream, offset: offset + at, payload: Buffer.from(buf.subarray(at + HEADER, at + HEADER + len)) });
      at += HEADER + len;
    }
    return { frames, next: offset + at };
  } finally {
    await handle.close();
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
