/**
 * Processes, attacked from inside a job: seeing and signalling host processes and other jobs'
 * processes, inherited file descriptors, the session and terminal, setuid binaries.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { JOB_UID, TestDaemon, setConfig, expectOutcomes, hostPidsOfJob, probe, requireRoot, runWait, statusOf, waitRunning } from './helpers';

const it = requireRoot() ? test : test.skip;

let d: TestDaemon;
/** A host process that prints SIGNALLED if anyone manages to send it SIGUSR1. */
let victim: ChildProcess;
let victimOut = '';

test.before(async () => {
  if (process.getuid?.() !== 0) return;
  // A `sleep` as PID 1 ignores SIGTERM (the kernel protects a namespace's init): stop needs the grace.
  d = await TestDaemon.start({ configEdit: setConfig('stopGraceSeconds', 1) });
  victim = spawn('perl', ['-e', '$| = 1; $SIG{USR1} = sub { print "SIGNALLED\\n" }; print "ready\\n"; sleep 1 while 1'], { stdio: ['ignore', 'pipe', 'inherit'] });
  victim.stdout!.on('data', (b) => (victimOut += b));
  await new Promise<void>((resolve) => victim.stdout!.once('data', () => resolve()));
});
test.after(async () => {
  victim?.kill('SIGKILL');
  await d?.destroy();
});

it('host processes (the test runner, the daemon, a host victim) are invisible: kill -0, /proc/PID and pidfd_open say ESRCH', async () => {
  const pids = [process.pid, d.proc!.pid!, victim.pid!];
  const got = await probe(d, ['host_pids', 'visible_pids'], pids.map((p) => `hostpid=${p}`));
  expectOutcomes(got, { host_pids: pids.map((p) => `${p}:kill=ESRCH,proc=absent,pidfd=ESRCH`).join(' ') });
  // Only the probe's own processes exist in its PID namespace: perl (PID 1) and its probe child.
  const visible = got.visible_pids!.split(' ').map(Number);
  assert.ok(visible.length <= 3 && visible.every((p) => p < 100), `the job sees pids ${got.visible_pids}`);
});

it('a signal to a host process from a job is refused with ESRCH and never arrives', async () => {
  const got = await probe(d, ['signal'], [`victim=${victim.pid}`]);
  expectOutcomes(got, { signal: `${victim.pid}:ESRCH` });
  await new Promise((r) => setTimeout(r, 200));
  assert.is(victimOut, 'ready\n', 'the host process received a signal from the job');
  assert.is(d.proc!.exitCode, null, 'daemon still running');
});

it("another job's processes are invisible and cannot be signalled", async () => {
  const a = await d.run(['sleep', '60']);
  try {
    await waitRunning(d, a);
    const [pidA] = hostPidsOfJob(a);
    const got = await probe(d, ['host_pids', 'signal', 'visible_pids'], [`hostpid=${pidA}`, `victim=${pidA}`]);
    expectOutcomes(got, { host_pids: `${pidA}:kill=ESRCH,proc=absent,pidfd=ESRCH`, signal: `${pidA}:ESRCH` });
    const ps = await runWait(d, ['ps', '-e', '-o', 'comm=']);
    assert.is(ps.stdout, 'ps\n', 'only the job itself is visible');
    // SIGUSR1 would have ended `sleep`: job A is untouched.
    assert.is((await statusOf(d, a)).status, 'RUNNING');
  } finally {
    await d.rnx(['stop', a]);
  }
});

it('no file descriptor leaks into a job: only 0 (/dev/null), 1 and 2 (pipes) are open at exec', async () => {
  const got = await probe(d, ['fds', 'fd_kinds']);
  expectOutcomes(got, { fds: '0,1,2', fd_kinds: '0=/dev/null 1=pipe 2=pipe' });
});

it('a job runs in its own session with no controlling terminal (/dev/tty is ENXIO)', async () => {
  const got = await probe(d, ['session']);
  expectOutcomes(got, { session: 'sid=1 tty=ENXIO tty_nr=0' });
});

it('setuid binaries do not elevate: su keeps every uid at the job user; every mount is nosuid', async () => {
  // su blocks reading a password from a FIFO the job holds open, so its credentials can be read.
  const script = [
    'mkfifo /tmp/pw',
    '(su root < /tmp/pw > /tmp/su.out 2>&1 &)',
    'exec 3>/tmp/pw',
    'for i in $(seq 100); do for p in /proc/[0-9]*; do [ "$(cat $p/comm 2>/dev/null)" = su ] && grep -E "^(Uid|Gid|CapEff)" $p/status && exit 0; done; sleep 0.05; done',
    'echo su never started; exit 1',
  ].join('\n');
  const r = await runWait(d, ['sh', '-c', script]);
  assert.is(r.code, 0, r.stdout + r.stderr);
  const u = JOB_UID;
  assert.is(r.stdout, `Uid:\t${u}\t${u}\t${u}\t${u}\nGid:\t${u}\t${u}\t${u}\t${u}\nCapEff:\t0000000000000000\n`);
  expectOutcomes(await probe(d, ['suid_mounts']), { suid_mounts: 'none' });
});

test.run();
