/**
 * Resource exhaustion from inside a job: fork bombs, memory bombs, filling /work (bytes and
 * inodes), /tmp and /dev/shm, CPU hogs, fd exhaustion, core dumps and floods of output. Each
 * must stop at the job's limit while the daemon and other jobs carry on.
 */
import * as fs from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  TestDaemon,
  assertNothingLeft,
  configEdits,
  expectOutcomes,
  jobCgroupFile,
  pidNsOfJob,
  probe,
  requireRoot,
  runWait,
  setConfig,
  statusOf,
  waitRunning,
} from './helpers';

const it = requireRoot() ? test : test.skip;

const NOFILE = 200;
const TMP_MB = 8;
const MAX_LOG = 65536;

let d: TestDaemon;

test.before(async () => {
  if (process.getuid?.() !== 0) return;
  d = await TestDaemon.start({
    configEdit: configEdits(setConfig('stopGraceSeconds', 1), setConfig('nofile', NOFILE), setConfig('tmpSizeMB', TMP_MB), setConfig('maxLogBytes', MAX_LOG)),
  });
});
test.after(() => d?.destroy());

function rssKb(pid: number): number {
  const m = /^VmRSS:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

it('a fork bomb stops at --max-pids; the daemon keeps answering and the job can still be stopped', async () => {
  // One core at most, so the bomb's fork-retry loop does not starve the rest of the host.
  const id = await d.run(['--max-pids=64', '--max-cpu=100', 'bash', '-c', ':(){ :|:& };:; exec sleep 60']);
  await waitRunning(d, id);
  const pidns = pidNsOfJob(id);
  await new Promise((r) => setTimeout(r, 1500));
  const current = Number(jobCgroupFile(d, id, 'pids', 'pids.current'));
  const refused = Number(/^max (\d+)/m.exec(jobCgroupFile(d, id, 'pids', 'pids.events'))?.[1]);
  assert.ok(current <= 64, `pids.current ${current} > 64`);
  assert.ok(refused > 0, 'the bomb never hit the limit (pids.events max is 0)');
  const list = await d.rnx(['list', '--json']);
  assert.is(list.code, 0, list.stderr);
  const stop = await d.rnx(['stop', id], { timeoutMs: 30000 });
  assert.is(stop.code, 0, stop.stderr);
  assert.is((await d.waitDone(id)).status, 'STOPPED');
  await assertNothingLeft(d, id, pidns);
});

it('a job gets exactly --max-pids processes: under --max-pids=16 the probe (PID 1 and a child) forks 14 more, then EAGAIN', async () => {
  expectOutcomes(await probe(d, ['forks'], [], ['--max-pids=16']), { forks: 'forked=14 then=EAGAIN' });
});

it('a memory bomb is OOM-killed at --max-memory (FAILED, exit 137, counted); a concurrent job is unaffected', async () => {
  const other = await d.run(['sh', '-c', 'sleep 2; echo alive']);
  const before = rssKb(d.proc!.pid!);
  const r = await runWait(d, ['--max-memory=64', 'perl', '-e', '$x = "x" x (512 * 1024 * 1024); print "survived\\n"']);
  assert.is(r.code, 137);
  assert.not.match(r.stdout, /survived/);
  const list = JSON.parse((await d.rnx(['list', '--json'])).stdout) as Array<{ id: string; command: string }>;
  const bomb = await statusOf(d, list.filter((j) => j.command === 'perl').pop()!.id);
  assert.is(bomb.status, 'FAILED');
  assert.is(bomb.exitCode, 137);
  assert.is(bomb.failureReason, 'out of memory (limit 64 MB)');
  assert.ok(bomb.usage.oomKills >= 1, `oomKills ${bomb.usage.oomKills}`);
  assert.ok(bomb.usage.memoryPeakBytes <= 64 * 1024 * 1024, `peak ${bomb.usage.memoryPeakBytes}`);
  const o = await d.waitDone(other);
  assert.is(o.status, 'COMPLETED');
  assert.is(o.exitCode, 0);
  assert.is((await d.rnx(['log', other])).stdout, 'alive\n');
  // The job's memory was charged to its own cgroup, not to the daemon.
  assert.ok(rssKb(d.proc!.pid!) - before < 64 * 1024, 'the daemon grew by the bomb');
});

it('/work fills up at the quota with ENOSPC, for bytes and for inodes; --max-disk raises it; it is a tmpfs, not the host disk', async () => {
  const fill = 'dd if=/dev/zero of=/work/fill bs=64k count=1000 2>&1 | grep -o "No space left on device"; wc -c < /work/fill; rm /work/fill';
  const inodes = 'i=0; while touch /work/f$i 2>/tmp/err; do i=$((i+1)); done; echo "files=$i"; cat /tmp/err';
  const r = await runWait(d, ['sh', '-c', `${fill}; ${inodes}; stat -f -c %T /work`]);
  const [nospace, bytes, files, err, fstype] = r.stdout.trim().split('\n');
  assert.is(nospace, 'No space left on device');
  assert.ok(Number(bytes) > 900 * 1024 && Number(bytes) <= 1024 * 1024, `wrote ${bytes} bytes into a 1 MB quota`);
  assert.ok(Number(files!.slice(6)) >= 200 && Number(files!.slice(6)) <= 300, files);
  assert.match(err!, /No space left on device/);
  assert.is(fstype, 'tmpfs');
  const r2 = await runWait(d, ['--max-disk=4MB', 'sh', '-c', fill]);
  const bytes2 = Number(r2.stdout.trim().split('\n')[1]);
  assert.ok(bytes2 > 3.5 * 1024 * 1024 && bytes2 <= 4 * 1024 * 1024, `wrote ${bytes2} bytes into a 4 MB quota`);
});

it('/tmp and /dev/shm stop at the configured size with ENOSPC', async () => {
  const r = await runWait(d, ['sh', '-c', 'for f in /tmp/fill /dev/shm/fill; do dd if=/dev/zero of=$f bs=1M count=100 2>&1 | grep -o "No space left on device"; wc -c < $f; rm $f; done']);
  const lines = r.stdout.trim().split('\n');
  assert.equal([lines[0], lines[2]], ['No space left on device', 'No space left on device'], r.stdout);
  for (const n of [lines[1], lines[3]]) assert.is(Number(n), TMP_MB * 1024 * 1024);
});

it('a CPU hog under --max-cpu=20 gets about a fifth of one core, even with two busy processes', async () => {
  const r = await runWait(d, ['--max-cpu=20', 'perl', '-e', 'fork; my $t = time + 3; 1 while time < $t; wait']);
  assert.is(r.code, 0, r.stderr);
  const list = JSON.parse((await d.rnx(['list', '--json'])).stdout) as Array<{ id: string; command: string }>;
  const j = await statusOf(d, list.filter((x) => x.command === 'perl').pop()!.id);
  const ratio = j.usage.cpuSeconds / (j.durationMs / 1000);
  assert.ok(ratio > 0.1 && ratio < 0.3, `cpu ${j.usage.cpuSeconds}s over ${j.durationMs} ms = ${ratio.toFixed(3)} of a core`);
});

it('fds: the configured nofile is the hard limit, opening more is EMFILE, raising it is EPERM; core dumps are off for good', async () => {
  const got = await probe(d, ['nofile', 'core']);
  // The probe process holds 0-2 and its answer pipe.
  expectOutcomes(got, { nofile: `limit=${NOFILE}/${NOFILE} opened=${NOFILE - 4} then=EMFILE raise=EPERM`, core: 'limit=0/0 raise=EPERM' });
  const r = await runWait(d, ['sh', '-c', 'ulimit -n; ulimit -Hn; ulimit -c; ulimit -n 4096 2>&1; echo $?']);
  assert.match(r.stdout, new RegExp(`^${NOFILE}\\n${NOFILE}\\n0\\n.*(Operation not permitted|Invalid argument).*\\n2\\n$`));
});

it('a flood of output on both streams is cut at the cap with a notice; the daemon stays small and responsive', async () => {
  const flood = (secs: number) => d.run(['sh', '-c', `timeout ${secs} yes stdout-flood & timeout ${secs} yes stderr-flood >&2; wait`]);
  // A first flood lets the daemon's heap settle at its working size; the second must not grow it.
  await d.waitDone(await flood(2), 60000);
  const before = rssKb(d.proc!.pid!);
  const id = await flood(5);
  let peak = 0;
  const timer = setInterval(() => (peak = Math.max(peak, rssKb(d.proc!.pid!))), 50);
  const list = await d.rnx(['list']);
  assert.is(list.code, 0, 'the daemon answers during the flood');
  const j = await d.waitDone(id, 60000);
  clearInterval(timer);
  assert.is(j.status, 'COMPLETED');
  assert.is(j.outputTruncated, true);
  const log = await d.rnx(['log', id]);
  assert.ok(log.stdout.length + log.stderr.length <= MAX_LOG + 200, `stored ${log.stdout.length + log.stderr.length} bytes`);
  assert.match(log.stderr, new RegExp(`\\[joblet\\] output truncated: this job printed more than ${MAX_LOG} bytes`));
  // Both streams flood for 5 s at full speed (gigabytes): what the daemon may keep is the garbage of
  // its read chunks until V8 collects it, never the output itself.
  assert.ok(peak - before < 128 * 1024, `daemon RSS grew by ${peak - before} kB during a 5 s flood`);
});

test.run();
