// test:serial — CPU shares and timeouts are measured: nothing else may compete for the cores.
/** Limits that really hold: memory, CPU, cores, pids, timeout, the /work quota; bad values refused. */
import * as os from 'node:os';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TestDaemon } from '../helpers/daemon';

let d: TestDaemon;
test.before(async () => {
  d = await TestDaemon.start({ configEdit: (y) => y.replace(/stopGraceSeconds: \d+/, 'stopGraceSeconds: 1') });
});
test.after(async () => {
  await d?.destroy();
});

type Job = { id: string; status: string; exitCode: number; signal: string; failureReason: string; durationMs: number; limits: Record<string, number | string>; usage: { cpuSeconds: number; memoryPeakBytes: number; oomKills: number } };

async function status(id: string): Promise<Job> {
  return JSON.parse((await d.rnx(['status', '--json', id])).stdout) as Job;
}

test('every job gets the server defaults: finite memory and pids, the 1 MB /work quota', async () => {
  const id = await d.run(['true']);
  await d.waitDone(id);
  const j = await status(id);
  assert.is(j.limits.memoryBytes, 512 * 1024 * 1024);
  assert.is(j.limits.pids, 512);
  assert.is(j.limits.diskBytes, 1048576);
  const human = await d.rnx(['status', id]);
  assert.match(human.stdout, /^Limits: +memory 512MB, pids 512, disk 1MB$/m);
  assert.match(human.stdout, /^CPU Time: +\d+\.\d\ds$/m);
});

test('a job allocating past --max-memory is OOM-killed; the daemon and another job are unaffected', async () => {
  const other = await d.run(['sh', '-c', 'sleep 2; echo survivor']);
  const r = await d.rnx(['run', '--wait', '--max-memory=32', 'sh', '-c', 'a=x; while :; do a=$a$a; done']);
  assert.is(r.code, 137);
  const list = JSON.parse((await d.rnx(['list', '--json'])).stdout) as Job[];
  const j = list[list.length - 1]!;
  assert.is(j.status, 'FAILED');
  assert.is(j.exitCode, 137);
  assert.is(j.failureReason, 'out of memory (limit 32 MB)');
  assert.ok(j.usage.oomKills >= 1);
  assert.ok(j.usage.memoryPeakBytes <= 32 * 1024 * 1024 + 4096, `peak ${j.usage.memoryPeakBytes}`);
  const o = await d.waitDone(other);
  assert.is(o.status, 'COMPLETED');
  assert.is((await d.rnx(['log', other])).stdout, 'survivor\n');
});

test('--max-cpu=20 gives a busy loop about a fifth of a core (cgroup CPU accounting)', async () => {
  const r = await d.rnx(['run', '--wait', '--max-cpu=20', 'timeout', '3', 'sh', '-c', 'while :; do :; done']);
  assert.is(r.code, 124, r.stderr);
  const list = JSON.parse((await d.rnx(['list', '--json'])).stdout) as Job[];
  const j = list[list.length - 1]!;
  const share = j.usage.cpuSeconds / (j.durationMs / 1000);
  assert.ok(share > 0.1 && share < 0.3, `CPU share ${share.toFixed(3)} (cpu ${j.usage.cpuSeconds}s over ${j.durationMs}ms)`);
});

test('--cpu-cores limits what nproc and /proc/self/status show', async () => {
  const cores = os.cpus().length;
  const last = cores - 1;
  const r = await d.rnx(['run', '--wait', `--cpu-cores=${last}`, 'sh', '-c', 'nproc; grep Cpus_allowed_list /proc/self/status']);
  assert.is(r.stdout, `1\nCpus_allowed_list:\t${last}\n`);
  const bad = await d.rnx(['run', `--cpu-cores=${cores + 3}`, 'true']);
  assert.is(bad.code, 1);
  assert.match(bad.stderr, new RegExp(`--cpu-cores: core ${cores + 3} does not exist on this server`));
});

test('a fork bomb stops at the pids limit and the job can still be stopped', async () => {
  // A bomb that keeps trying: every child sleeps, and a failed fork is reported and retried.
  const bomb = 'while (1) { my $p = fork(); if (!defined $p) { print STDERR "fork failed: $!\n"; sleep 1; next } if ($p == 0) { sleep 300; exit } }';
  const id = await d.run(['--max-pids=24', 'perl', '-e', bomb]);
  await new Promise((r) => setTimeout(r, 2500));
  const log = await d.rnx(['log', '--no-follow', id]);
  assert.match(log.stderr, /fork failed: Resource temporarily unavailable/);
  assert.is((JSON.parse((await d.rnx(['status', '--json', id])).stdout) as Job).status, 'RUNNING');
  const stop = await d.rnx(['stop', id]);
  assert.is(stop.code, 0, stop.stderr);
  const j = await d.waitDone(id);
  assert.is(j.status, 'STOPPED');
  assert.is((await d.rnx(['list'])).code, 0, 'daemon no longer answers');
});

test('--timeout stops a job that runs too long: FAILED, reason timeout', async () => {
  const t0 = Date.now();
  const r = await d.rnx(['run', '--wait', '--timeout=2s', 'sleep', '60']);
  assert.ok(Date.now() - t0 < 15000, 'timeout did not stop the job');
  assert.is(r.code, 137);
  const list = JSON.parse((await d.rnx(['list', '--json'])).stdout) as Job[];
  const j = list[list.length - 1]!;
  assert.is(j.status, 'FAILED');
  assert.match(j.failureReason, /^timeout: the job ran longer than 2s$/);
  assert.is(j.limits.timeoutMs, 2000);
});

test('/work quota: ENOSPC past 1 MB for bytes and for inodes; --max-disk raises it', async () => {
  const bytes = await d.rnx(['run', '--wait', 'sh', '-c', 'dd if=/dev/zero of=big bs=64k count=32 2>&1; echo rc=$?']);
  assert.match(bytes.stdout, /No space left on device/);
  assert.match(bytes.stdout, /rc=1/);
  const inodes = await d.rnx(['run', '--wait', 'sh', '-c', 'i=0; while touch f$i 2>/dev/null; do i=$((i+1)); done; echo made=$i; touch last']);
  const made = Number(/made=(\d+)/.exec(inodes.stdout)?.[1]);
  assert.ok(made > 100 && made < 1000, `made ${made} files`);
  assert.match(inodes.stderr, /No space left on device/);
  const more = await d.rnx(['run', '--wait', '--max-disk=8MB', 'sh', '-c', 'dd if=/dev/zero of=big bs=64k count=64 2>/dev/null && ls -s big']);
  assert.is(more.code, 0, more.stderr);
  const over = await d.rnx(['run', '--max-disk=5TB', 'true']);
  assert.is(over.code, 1);
  assert.match(over.stderr, /--max-disk: .* out of range/);
});

test('--max-iobps throttles direct I/O to disk-backed storage (a filesystem volume)', async () => {
  const vol = `io${Date.now().toString(36)}`;
  const created = await d.rnx(['volume', 'create', vol, '--size=64MB']);
  assert.is(created.code, 0, created.stderr);
  try {
    // 6 MiB of O_DIRECT writes at 1 MiB/s take about 6 s; unthrottled they take well under one.
    const write = `dd if=/dev/zero of=/volumes/${vol}/f bs=1M count=6 oflag=direct 2>&1`;
    const t0 = Date.now();
    const r = await d.rnx(['run', '--wait', `--volume=${vol}`, '--max-iobps=1048576', 'sh', '-c', write], { timeoutMs: 60000 });
    const secs = (Date.now() - t0) / 1000;
    assert.is(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /6291456 bytes/);
    assert.ok(secs > 3.5, `6 MiB at 1 MiB/s finished in ${secs.toFixed(1)} s`);
    const free = await d.rnx(['run', '--wait', `--volume=${vol}`, 'sh', '-c', write]);
    assert.is(free.code, 0, free.stdout);
  } finally {
    await d.rnx(['volume', 'remove', vol]);
  }
});

test('bad limit values are refused with the flag and the allowed range', async () => {
  const cases: [string, RegExp][] = [
    ['--max-memory=abc', /--max-memory: 'abc' is not a whole number; allowed: 4-4194304 MB/],
    ['--max-memory=1', /--max-memory: 1 is out of range/],
    ['--max-memory=99999999', /--max-memory: 99999999 is out of range; allowed: 4-4194304 MB/],
    ['--max-memory=4000000', /--max-memory: 4000000 is out of range; allowed on this server: 4-\d+ MB/],
    ['--max-cpu=0', /--max-cpu: 0 is out of range/],
    ['--max-cpu=1e3', /--max-cpu: '1e3' is not a whole number/],
    ['--max-cpu=NaN', /--max-cpu: 'NaN' is not a whole number/],
    ['--max-pids=99999999999999999999', /--max-pids: '9+' is not a whole number/],
    ['--cpu-cores=3-1', /--cpu-cores: range '3-1' goes backwards/],
    ['--cpu-cores=0,0', /--cpu-cores: core 0 is listed twice/],
    ['--timeout=soon', /--timeout: 'soon' is not a duration; use e.g. 90s, 5m or 2h30m/],
    ['--timeout=0s', /--timeout: 0s is out of range/],
    ['--max-disk=-5MB', /--max-disk: '-5MB' is not a size/],
    ['--max-iobps=10', /--max-iobps: 10 is out of range/],
  ];
  for (const [flag, want] of cases) {
    const r = await d.rnx(['run', flag, 'true']);
    assert.is(r.code, 1, flag);
    assert.match(r.stderr, want, flag);
  }
  assert.is((JSON.parse((await d.rnx(['list', '--json'])).stdout) as Job[]).filter((j) => (j as unknown as { command: string }).command === 'true' && j.limits.memoryBytes === 0).length, 0);
});

test.run();
