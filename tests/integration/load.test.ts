// test:serial — 50 clients and output floods at once: it measures the daemon under load.
/** Many jobs at once, and output floods: correct results, the start and end of a long log kept, bounded daemon memory. */
import * as fs from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TestDaemon } from '../helpers/daemon';

let d: TestDaemon;
test.before(async () => {
  d = await TestDaemon.start({ configEdit: (y) => y.replace(/maxLogBytes: \d+/, 'maxLogBytes: 1048576') });
});
test.after(async () => {
  await d?.destroy();
});

test('50 jobs started at once all complete with their own output and status', async () => {
  const starts = Array.from({ length: 50 }, (_, i) => d.run(['sh', '-c', `echo job-${i}; exit ${i % 3}`]));
  const ids = await Promise.all(starts);
  assert.is(new Set(ids).size, 50);
  const results = await Promise.all(ids.map((id) => d.waitDone(id, 120000)));
  for (const [i, j] of results.entries()) {
    assert.is(j.exitCode, i % 3, `job ${i}`);
    assert.is(j.status, i % 3 === 0 ? 'COMPLETED' : 'FAILED', `job ${i}`);
  }
  const logs = await Promise.all(ids.map((id) => d.rnx(['log', id])));
  logs.forEach((l, i) => assert.is(l.stdout, `job-${i}\n`));
});

function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

test('past the bound the stored log keeps the start and the end, with a notice; the daemon stays small while a job floods', async () => {
  const before = rssKb(d.proc!.pid!);
  // 300 MB of output at full speed, far past the 1 MiB bound; then the end a user looks for.
  const id = await d.run(['sh', '-c', 'echo first line; head -c 300000000 /dev/zero | tr "\\0" x; echo; echo done >&2; echo last line']);
  let peak = 0;
  const timer = setInterval(() => (peak = Math.max(peak, rssKb(d.proc!.pid!))), 50);
  const j = await d.waitDone(id, 180000);
  clearInterval(timer);
  assert.is(j.status, 'COMPLETED');
  assert.is(j.outputTruncated, true);
  const log = await d.rnx(['log', id], { timeoutMs: 60000 });
  assert.ok(log.stdout.startsWith('first line\nxxxx'), log.stdout.slice(0, 40));
  assert.ok(log.stdout.endsWith('xxxx\nlast line\n'), log.stdout.slice(-40));
  const m = /\[joblet\] output truncated: this job printed more than 1048576 bytes; (\d+) bytes were skipped here/.exec(log.stderr);
  assert.ok(m, log.stderr);
  assert.ok(log.stderr.endsWith('done\n'), 'the end of stderr is kept too');
  const printed = 'first line\n'.length + 300000000 + 1 + 'done\n'.length + 'last line\n'.length;
  assert.is(log.stdout.length + 'done\n'.length + Number(m![1]), printed, 'what is shown plus what was skipped is everything printed');
  assert.ok(log.stdout.length <= 1048576 && log.stdout.length > 1000000, `stored ${log.stdout.length} bytes`);
  // The daemon never buffered the flood: its memory grew by far less than what the job printed.
  assert.ok(peak - before < 100 * 1024, `daemon RSS grew by ${peak - before} kB while the job printed 300 MB`);
  const st = await d.rnx(['status', id]);
  assert.match(st.stdout, /^Output: +truncated/m);
});

test('a live --wait follower receives every byte, far past the stored bound', async () => {
  const r = await d.rnx(['run', '--wait', 'sh', '-c', 'head -c 40000000 /dev/zero | tr "\\0" y; echo end'], { timeoutMs: 120000 });
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout.length, 40000000 + 4);
  assert.match(r.stdout.slice(-100), /^y+end\n$/);
  assert.is(r.stderr, '', 'nothing was skipped for a follower that keeps up');
});

test('a slow log reader does not make the daemon buffer the job output', async () => {
  const id = await d.run(['sh', '-c', 'head -c 900000 /dev/zero | tr "\\0" y']);
  await d.waitDone(id);
  // A reader that never reads: start rnx log into a paused pipe, check the daemon, then drain.
  const { spawn } = await import('node:child_process');
  const before = rssKb(d.proc!.pid!);
  const slow = Array.from({ length: 10 }, () => spawn(d.rnxBinary, ['--config', d.rnxConfig, 'log', id], { stdio: ['ignore', 'pipe', 'ignore'] }));
  for (const s of slow) s.stdout!.pause();
  await new Promise((r) => setTimeout(r, 1500));
  const during = rssKb(d.proc!.pid!);
  for (const s of slow) s.kill();
  assert.ok(during - before < 60 * 1024, `daemon grew by ${during - before} kB with 10 stalled readers`);
});

test.run();
