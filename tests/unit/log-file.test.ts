/** The framed log file: streams kept apart and in order, the cap, torn frames. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LogStream, LogWriter, readFrames } from '../../src/store/log-file';

const dirs: string[] = [];
function tmpFile(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'joblet-log-'));
  dirs.push(dir);
  return path.join(dir, 'job.log');
}
test.after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

test('frames keep stdout and stderr apart, in order, and resume at any offset', async () => {
  const file = tmpFile();
  const sizes: number[] = [];
  const w = new LogWriter(file, 1 << 20, (s) => sizes.push(s));
  w.write(LogStream.Stdout, Buffer.from('out1\n'));
  w.write(LogStream.Stderr, Buffer.from('err1\n'));
  w.write(LogStream.Stdout, Buffer.from('out2\n'));
  w.close();
  const { frames, next } = await readFrames(file, 0, fs.statSync(file).size);
  assert.equal(frames.map((f) => [f.stream, f.payload.toString()]), [[1, 'out1\n'], [2, 'err1\n'], [1, 'out2\n']]);
  assert.is(next, sizes[sizes.length - 1]);
  const rest = await readFrames(file, frames[1]!.offset, next);
  assert.equal(rest.frames.map((f) => f.payload.toString()), ['err1\n', 'out2\n']);
});

test('output past the cap is cut once, with a notice', async () => {
  const file = tmpFile();
  const w = new LogWriter(file, 10, () => undefined);
  w.write(LogStream.Stdout, Buffer.from('123456'));
  w.write(LogStream.Stdout, Buffer.from('789012345'));
  w.write(LogStream.Stderr, Buffer.from('dropped'));
  w.close();
  assert.ok(w.truncated);
  const { frames } = await readFrames(file, 0, fs.statSync(file).size);
  assert.is(frames.filter((f) => f.stream !== LogStream.Notice).map((f) => f.payload.toString()).join(''), '1234567890');
  assert.is(frames.filter((f) => f.stream === LogStream.Notice).length, 1);
  assert.match(frames[frames.length - 1]!.payload.toString(), /output truncated: this job printed more than 10 bytes/);
});

test('big writes are split into frames; a torn last frame is not returned', async () => {
  const file = tmpFile();
  const w = new LogWriter(file, 1 << 20, () => undefined);
  w.write(LogStream.Stdout, Buffer.alloc(200_000, 0x61));
  w.close();
  const size = fs.statSync(file).size;
  let offset = 0;
  let total = 0;
  while (offset < size) {
    const r = await readFrames(file, offset, size, 100_000);
    total += r.frames.reduce((n, f) => n + f.payload.length, 0);
    offset = r.next;
  }
  assert.is(total, 200_000);
  fs.truncateSync(file, size - 10);
  let got = 0;
  offset = 0;
  for (;;) {
    const r = await readFrames(file, offset, size - 10);
    if (r.next === offset) break;
    got += r.frames.reduce((n, f) => n + f.payload.length, 0);
    offset = r.next;
  }
  assert.ok(got < 200_000 && got % 65536 === 0, `read ${got} bytes of whole frames`);
});

test.run();
