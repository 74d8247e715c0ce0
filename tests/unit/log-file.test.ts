/** The bounded log file: streams kept apart and in order, head and tail kept, followers that keep up or fall behind, torn files. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LogStream, LogWriter, type LogFrame, type LogPosition } from '../../src/store/log-file';
import { LogReader, readFrames } from '../../src/store/log-read';

const dirs: string[] = [];
function tmpFile(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'joblet-log-'));
  dirs.push(dir);
  return path.join(dir, 'job.log');
}
test.after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** Everything a reader can read now (live: with the writer's position). */
async function drain(reader: LogReader, live?: LogPosition): Promise<LogFrame[]> {
  const out: LogFrame[] = [];
  for (let i = 0; i < 1_000_000; i++) {
    const { frames, more } = await reader.read(live);
    out.push(...frames.map((f) => ({ ...f, payload: Buffer.from(f.payload) })));
    if (!more) return out;
  }
  throw new Error('reader never finished');
}

async function readAll(file: string): Promise<LogFrame[]> {
  const r = new LogReader(file, () => fs.statSync(file).size);
  try {
    return await drain(r);
  } finally {
    await r.close();
  }
}

const text = (frames: LogFrame[], stream?: LogStream) =>
  Buffer.concat(frames.filter((f) => (stream === undefined ? f.stream !== LogStream.Notice : f.stream === stream)).map((f) => f.payload)).toString();

/** Distinct, recognisable output: "000001 line\n000002 line\n…". */
function numbered(from: number, count: number): Buffer {
  return Buffer.from(Array.from({ length: count }, (_, i) => `${String(from + i).padStart(6, '0')} line\n`).join(''));
}

test('frames keep stdout and stderr apart and in order; offsets count output bytes, not notices', async () => {
  const file = tmpFile();
  const w = new LogWriter(file, 1 << 20, () => undefined);
  w.write(LogStream.Stdout, Buffer.from('out1\n'));
  w.write(LogStream.Stderr, Buffer.from('err1\n'));
  w.notice('[joblet] hello\n');
  w.write(LogStream.Stdout, Buffer.from('out2\n'));
  w.close();
  const frames = await readAll(file);
  assert.equal(frames.map((f) => [f.stream, f.payload.toString(), f.offset]), [
    [1, 'out1\n', 0],
    [2, 'err1\n', 5],
    [3, '[joblet] hello\n', 10],
    [1, 'out2\n', 10],
  ]);
  assert.not.ok(w.truncated);
});

test('frames a read returned stay intact while later reads go on (a gRPC stream may hold them unsent)', async () => {
  const file = tmpFile();
  const w = new LogWriter(file, 64 << 20, () => undefined);
  // Several reads' worth (each read takes at most 256 KiB), stderr interleaved.
  for (let i = 0; i < 40; i++) {
    w.write(LogStream.Stdout, numbered(i * 1000, 1000));
    w.write(LogStream.Stderr, Buffer.from(`err ${i}\n`));
  }
  w.close();
  const r = new LogReader(file, () => fs.statSync(file).size);
  const held: LogFrame[] = [];
  try {
    for (;;) {
      const { frames, more } = await r.read(undefined);
      held.push(...frames); // not copied: as a stream's write queue holds them
      if (!more) break;
    }
  } finally {
    await r.close();
  }
  assert.is(text(held, LogStream.Stdout), numbered(0, 40000).toString());
  assert.is(text(held, LogStream.Stderr), Array.from({ length: 40 }, (_, i) => `err ${i}\n`).join(''));
});

test('past the bound the log keeps the head and the tail, with a notice saying exactly what was skipped', async () => {
  const file = tmpFile();
  const max = 64 * 1024;
  const w = new LogWriter(file, max, () => undefined, 8 * 1024);
  const all = numbered(0, 80_000); // 1 MiB, every line distinct
  for (let at = 0; at < all.length; at += 3000) w.write(LogStream.Stdout, all.subarray(at, at + 3000));
  w.close();
  assert.ok(w.truncated);
  assert.ok(fs.statSync(file).size <= max + 64, `file is ${fs.statSync(file).size} bytes for a bound of ${max}`);
  const frames = await readAll(file);
  const notices = frames.filter((f) => f.stream === LogStream.Notice);
  assert.is(notices.length, 1);
  const m = /output truncated: this job printed more than 65536 bytes; (\d+) bytes were skipped here/.exec(notices[0]!.payload.toString());
  assert.ok(m, notices[0]!.payload.toString());
  const i = frames.indexOf(notices[0]!);
  const head = text(frames.slice(0, i));
  const tail = text(frames.slice(i + 1));
  assert.ok(head.length > 7 * 1024 && head.length <= 8 * 1024, `head ${head.length}`);
  assert.ok(tail.length > 40 * 1024, `tail ${tail.length}`);
  assert.is(head, all.subarray(0, head.length).toString(), 'the head is the start of the output');
  assert.is(tail, all.subarray(all.length - tail.length).toString(), 'the tail is the end of the output');
  assert.is(head.length + Number(m![1]) + tail.length, all.length, 'head + skipped + tail = everything printed');
  assert.is(notices[0]!.offset, head.length);
});

test('a live follower that keeps up receives every byte, far past the bound', async () => {
  const file = tmpFile();
  let pos: LogPosition = { headEnd: 0, output: 0 };
  const w = new LogWriter(file, 16 * 1024, (p) => void (pos = p), 4096);
  const reader = new LogReader(file, () => fs.statSync(file).size);
  const got: LogFrame[] = [];
  const all: Buffer[] = [];
  for (let i = 0; i < 400; i++) {
    const chunk = numbered(i * 50, 50);
    all.push(chunk);
    w.write(i % 7 === 0 ? LogStream.Stderr : LogStream.Stdout, chunk);
    got.push(...(await drain(reader, pos)));
  }
  w.close();
  got.push(...(await drain(reader, pos)));
  await reader.close();
  assert.ok(w.truncated, 'the stored log was cut');
  assert.is(got.filter((f) => f.stream === LogStream.Notice).length, 0);
  assert.is(text(got), Buffer.concat(all).toString());
  assert.is(text(got, LogStream.Stderr), all.filter((_, i) => i % 7 === 0).map(String).join(''));
});

test('a live follower that falls behind is told how many bytes it missed, then continues with the rest', async () => {
  const file = tmpFile();
  let pos: LogPosition = { headEnd: 0, output: 0 };
  const w = new LogWriter(file, 16 * 1024, (p) => void (pos = p), 4096);
  const reader = new LogReader(file, () => fs.statSync(file).size);
  const all = numbered(0, 10_000);
  const got: LogFrame[] = [];
  // Read a little, then let the writer run far ahead, then read the rest.
  w.write(LogStream.Stdout, all.subarray(0, 6000));
  got.push(...(await reader.read(pos)).frames.map((f) => ({ ...f, payload: Buffer.from(f.payload) })));
  for (let at = 6000; at < all.length; at += 1000) w.write(LogStream.Stdout, all.subarray(at, at + 1000));
  got.push(...(await drain(reader, pos)));
  w.close();
  await reader.close();
  const notices = got.filter((f) => f.stream === LogStream.Notice).map((f) => f.payload.toString());
  assert.is(notices.length, 1, notices.join(''));
  const m = /(\d+) bytes were skipped here|(\d+) bytes of output were skipped here/.exec(notices[0]!)!;
  const skipped = Number(m[1] ?? m[2]);
  const received = text(got);
  assert.is(received.length + skipped, all.length);
  assert.ok(all.toString().endsWith(received.slice(-1000)), 'the end of the output arrived');
});

test('torn frames after a crash end the read; nothing is invented', async () => {
  const file = tmpFile();
  const w = new LogWriter(file, 1 << 20, () => undefined);
  w.write(LogStream.Stdout, Buffer.alloc(200_000, 0x61));
  w.close();
  const size = fs.statSync(file).size;
  assert.is(text(await readAll(file)).length, 200_000);
  fs.truncateSync(file, size - 10);
  const got = text(await readAll(file)).length;
  assert.ok(got < 200_000 && got % 65536 === 0, `read ${got} bytes of whole frames`);
  const r = await readFrames(file, 0, size - 10);
  assert.ok(r.frames.length > 0 && r.next < size - 10);
});

test('a crash in the tail leaves a readable log: the head, then whole frames of the tail', async () => {
  const file = tmpFile();
  const w = new LogWriter(file, 32 * 1024, () => undefined, 4096);
  const all = numbered(0, 5000);
  for (let at = 0; at < all.length; at += 700) w.write(LogStream.Stdout, all.subarray(at, at + 700));
  // No close(): a crash. Cut the file in the middle of the tail as well.
  fs.truncateSync(file, fs.statSync(file).size - 300);
  const frames = await readAll(file);
  const cut = frames.findIndex((f) => f.stream === LogStream.Notice);
  assert.ok(cut > 0, 'the skip is noted');
  const head = text(frames.slice(0, cut));
  const tail = text(frames.slice(cut + 1));
  assert.is(head, all.subarray(0, head.length).toString());
  assert.ok(tail.length > 16 * 1024 && all.toString().includes(tail), 'the tail is a contiguous piece of the output');
});

test.run();
