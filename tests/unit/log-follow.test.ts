/** Following a log: a follower that keeps up paces the job and loses nothing; a stalled one never holds the job longer than the grace. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { followLog, GRACE_MS, LogSignal } from '../../src/daemon/jobs/log-follow';
import { LogStream, LogWriter, type LogFrame } from '../../src/store/log-file';

const dirs: string[] = [];
function tmpFile(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'joblet-follow-'));
  dirs.push(dir);
  return path.join(dir, 'job.log');
}
test.after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** A job printing `chunks` chunks of distinct lines as fast as the log lets it; returns everything printed. */
async function job(writer: LogWriter, signal: LogSignal, chunks: number): Promise<{ printed: string; pausedMs: number }> {
  let printed = '';
  let pausedMs = 0;
  for (let i = 0; i < chunks; i++) {
    const chunk = Array.from({ length: 100 }, (_, k) => `${String(i * 100 + k).padStart(7, '0')}\n`).join('');
    printed += chunk;
    const room = writer.write(LogStream.Stdout, Buffer.from(chunk));
    if (room !== true) {
      const t0 = Date.now();
      await room;
      pausedMs += Date.now() - t0;
    }
    if (i % 10 === 0) await new Promise((r) => setImmediate(r));
  }
  writer.close();
  signal.end();
  return { printed, pausedMs };
}

function setup(max: number, head: number): { file: string; signal: LogSignal; writer: LogWriter } {
  const file = tmpFile();
  const signal = new LogSignal();
  const writer = new LogWriter(file, max, (pos) => signal.appended(pos), head);
  return { file, signal, writer };
}

test('a follower slower than the job, but reading, gets every byte: the job waits for it', async () => {
  const { file, signal, writer } = setup(32 * 1024, 4096);
  const got: LogFrame[] = [];
  const reading = (async () => {
    for await (const f of followLog(file, () => fs.statSync(file).size, signal, new AbortController().signal)) {
      got.push({ ...f, payload: Buffer.from(f.payload) });
      await new Promise((r) => setTimeout(r, 1)); // a slow link, still making progress
    }
  })();
  const { printed, pausedMs } = await job(writer, signal, 300); // 240 kB through a 32 kB log
  await reading;
  assert.ok(writer.truncated, 'the stored log was cut: the follower alone received everything');
  assert.ok(pausedMs > 0, 'the job was paced');
  assert.equal(got.filter((f) => f.stream === LogStream.Notice).map((f) => f.payload.toString()), []);
  assert.is(Buffer.concat(got.map((f) => f.payload)).toString(), printed);
});

test('a stalled follower holds the job for at most the grace, then skips what it missed and is told how much', async () => {
  const { file, signal, writer } = setup(32 * 1024, 4096);
  const got: LogFrame[] = [];
  let stall!: () => void;
  const stalled = new Promise<void>((r) => (stall = r));
  const reading = (async () => {
    let n = 0;
    for await (const f of followLog(file, () => fs.statSync(file).size, signal, new AbortController().signal)) {
      got.push({ ...f, payload: Buffer.from(f.payload) });
      if (++n === 1) await stalled; // a paused terminal
    }
  })();
  const t0 = Date.now();
  const { printed, pausedMs } = await job(writer, signal, 300);
  const took = Date.now() - t0;
  assert.ok(pausedMs >= GRACE_MS - 50 && took < GRACE_MS * 4 + 2000, `the job waited ${pausedMs} ms in all, finished in ${took} ms`);
  stall();
  await reading;
  const notices = got.filter((f) => f.stream === LogStream.Notice).map((f) => f.payload.toString());
  assert.is(notices.length, 1, notices.join(''));
  const m = /(\d+) bytes (?:were skipped here|of output were skipped here)/.exec(notices[0]!)!;
  const received = Buffer.concat(got.filter((f) => f.stream !== LogStream.Notice).map((f) => f.payload)).toString();
  assert.is(received.length + Number(m[1]), printed.length, 'received + missed = printed');
  assert.ok(printed.endsWith(received.slice(-8000)), 'the follower got the end');
});

test('with no follower the job is never paused', async () => {
  const { signal, writer } = setup(16 * 1024, 4096);
  const { pausedMs } = await job(writer, signal, 200);
  assert.is(pausedMs, 0);
});

test('a follower that stops (client gone) releases the job at once', async () => {
  const { file, signal, writer } = setup(16 * 1024, 4096);
  const abort = new AbortController();
  const reading = (async () => {
    for await (const _ of followLog(file, () => fs.statSync(file).size, signal, abort.signal)) {
      abort.abort();
    }
  })();
  const t0 = Date.now();
  const p = job(writer, signal, 200);
  await reading;
  const { pausedMs } = await p;
  assert.ok(pausedMs < GRACE_MS, `paused ${pausedMs} ms after the follower left (${Date.now() - t0} ms in all)`);
});

test.run();
