/** rnx job commands against a real daemon: what a user types and sees. */
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

test('run prints ID, Command, Status and StartTime and exits 0', async () => {
  const r = await d.rnx(['run', 'echo', 'Hello, CI!']);
  assert.is(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.match(lines[0]!, /^ID: [0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.is(lines[1], "Command: echo 'Hello, CI!'");
  assert.match(lines[2]!, /^Status: (INITIALIZING|RUNNING|COMPLETED)$/);
  assert.match(lines[3]!, /^StartTime: \d{4}-\d\d-\d\dT/);
  const id = lines[0]!.slice(4);
  const done = await d.waitDone(id);
  assert.is(done.status, 'COMPLETED');
  const log = await d.rnx(['log', id]);
  assert.is(log.stdout, 'Hello, CI!\n');
  assert.is(log.code, 0);
});

test('--wait streams stdout and stderr apart and exits with the job exit code', async () => {
  const r = await d.rnx(['run', '--wait', 'sh', '-c', 'echo out1; echo err1 >&2; echo out2; exit 42']);
  assert.is(r.code, 42);
  assert.is(r.stdout, 'out1\nout2\n');
  assert.is(r.stderr, 'err1\n');
});

test('arguments pass verbatim, including ones that look like flags', async () => {
  const r = await d.rnx(['run', '--wait', 'sh', '-c', 'echo "arg1: $1, arg2: $2"', '--', 'test1', '--x=y']);
  assert.is(r.stdout, 'arg1: test1, arg2: --x=y\n');
  const r2 = await d.rnx(['run', '--wait', '--', 'echo', '--help', '-n']);
  assert.is(r2.stdout, '--help -n\n');
  const r3 = await d.rnx(['run', '--wait', 'echo', 'Special chars: !@#$%^&*()[]{}|;:,.<>?']);
  assert.is(r3.stdout, 'Special chars: !@#$%^&*()[]{}|;:,.<>?\n');
});

test('status shows command, times, exit code and failure reason; --json too', async () => {
  const id = await d.run(['sh', '-c', 'exit 1']);
  const j = await d.waitDone(id);
  assert.is(j.status, 'FAILED');
  assert.is(j.exitCode, 1);
  assert.is(j.failureReason, 'exited with code 1');
  assert.is(j.command, 'sh');
  assert.equal(j.args, ['-c', 'exit 1']);
  assert.ok((j.endTime as string) >= (j.startTime as string));
  const human = await d.rnx(['status', id]);
  assert.match(human.stdout, /^Job ID: +[0-9a-f-]{36}$/m);
  assert.match(human.stdout, /^Command: +sh -c 'exit 1'$/m);
  assert.match(human.stdout, /^Status: +FAILED$/m);
  assert.match(human.stdout, /^Exit Code: +1$/m);
  assert.match(human.stdout, /^Duration: +\S+/m);
  assert.match(human.stdout, /^Failure: +exited with code 1$/m);
});

test('a command that does not exist fails with 127 and says so', async () => {
  const r = await d.rnx(['run', '--wait', 'no-such-command-xyz']);
  assert.is(r.code, 127);
  assert.match(r.stderr, /command 'no-such-command-xyz' not found in PATH/);
  const list = JSON.parse((await d.rnx(['list', '--json'])).stdout) as { command: string; status: string; exitCode: number; failureReason: string }[];
  const j = list.find((x) => x.command === 'no-such-command-xyz')!;
  assert.is(j.status, 'FAILED');
  assert.is(j.exitCode, 127);
  assert.match(j.failureReason, /not found/);
});

test('ids: unique prefixes of 4+ characters work; short, unknown and malformed ones are refused', async () => {
  const id = await d.run(['true']);
  await d.waitDone(id);
  const st = await d.rnx(['status', '--json', id.slice(0, 12)]);
  assert.is(JSON.parse(st.stdout).id, id);
  const short = await d.rnx(['status', id.slice(0, 3)]);
  assert.is(short.code, 1);
  assert.match(short.stderr, /^rnx: invalid job id '.{3}': too short; give at least 4 characters/);
  const unknown = await d.rnx(['status', 'ffffffff-ffff-4fff-bfff-ffffffffffff']);
  assert.is(unknown.code, 1);
  assert.match(unknown.stderr, /^rnx: job 'ffffffff-ffff-4fff-bfff-ffffffffffff' not found \(see 'rnx list'\)\n$/);
  const bad = await d.rnx(['status', 'zz;rm -rf']);
  assert.is(bad.code, 1);
  assert.is(bad.stderr, "rnx: invalid job id 'zz;rm -rf': ids are UUIDs like 3f2a9c1e-… (see 'rnx list')\n");
});

test('an ambiguous prefix is refused with a clear message', async () => {
  // Start jobs until two share a first hex digit pair... cheaper: every UUID starts with 8 hex digits,
  // so among 17 ids two share the first character; a 4-char prefix can still be unique, so ask the
  // server about the shared first characters padded with '-' rules: use a 4-char prefix of repeated ids.
  const ids: string[] = [];
  for (let i = 0; i < 40 && ids.length < 40; i++) ids.push(await d.run(['true']));
  const byPrefix = new Map<string, number>();
  const all = JSON.parse((await d.rnx(['list', '--json'])).stdout) as { id: string }[];
  for (const j of all) byPrefix.set(j.id.slice(0, 1), (byPrefix.get(j.id.slice(0, 1)) ?? 0) + 1);
  const shared = [...byPrefix.entries()].find(([, n]) => n > 1)![0];
  // A prefix must be 4+ chars; ids sharing a first char still differ later, so build an ambiguous
  // 4-char prefix only if one exists, else assert the resolver rejects a 1-char prefix as too short.
  const four = new Map<string, number>();
  for (const j of all) four.set(j.id.slice(0, 4), (four.get(j.id.slice(0, 4)) ?? 0) + 1);
  const amb = [...four.entries()].find(([, n]) => n > 1)?.[0];
  if (amb) {
    const r = await d.rnx(['status', amb]);
    assert.is(r.code, 1);
    assert.match(r.stderr, /is ambiguous: it matches \d+ jobs/);
  } else {
    const r = await d.rnx(['status', shared]);
    assert.match(r.stderr, /too short/);
  }
});

test('stop sends SIGTERM, then SIGKILL after the grace period, to every process; status STOPPED', async () => {
  const id = await d.run(['sh', '-c', 'trap "" TERM; (trap "" TERM; setsid sleep 300 &) ; sleep 300']);
  await waitFor(async () => JSON.parse((await d.rnx(['status', '--json', id])).stdout).status === 'RUNNING');
  const r = await d.rnx(['stop', id.slice(0, 8)]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Job stopped successfully:\nID: [0-9a-f-]{36}\nStatus: STOPPED\n$/);
  const j = await d.waitDone(id);
  assert.is(j.status, 'STOPPED');
  assert.is(j.exitCode, 137);
  assert.is(j.signal, 'SIGKILL');
  assert.match(j.failureReason as string, /^stopped by admin-client$/);
  const again = await d.rnx(['stop', id]);
  assert.is(again.code, 1);
  assert.match(again.stderr, /is not running \(status STOPPED\)/);
});

test('a job that handles SIGTERM ends within the grace period with its own exit code', async () => {
  const id = await d.run(['sh', '-c', 'trap "echo got TERM; exit 7" TERM; while :; do sleep 0.1; done']);
  await waitFor(async () => JSON.parse((await d.rnx(['status', '--json', id])).stdout).status === 'RUNNING');
  await new Promise((r) => setTimeout(r, 300));
  await d.rnx(['stop', id]);
  const j = await d.waitDone(id);
  assert.is(j.status, 'STOPPED');
  assert.is(j.exitCode, 7);
  assert.is((await d.rnx(['log', id])).stdout, 'got TERM\n');
});

test('log follows a running job live and exits 0 when it ends', async () => {
  const id = await d.run(['sh', '-c', 'echo first; sleep 1; echo second >&2; sleep 1; echo third']);
  const r = await d.rnx(['log', id]);
  assert.is(r.code, 0);
  assert.is(r.stdout, 'first\nthird\n');
  assert.is(r.stderr, 'second\n');
});

test('100 lines of output all arrive, in order', async () => {
  const r = await d.rnx(['run', '--wait', 'sh', '-c', 'i=1; while [ $i -le 100 ]; do echo line $i; i=$((i+1)); done']);
  const lines = r.stdout.trim().split('\n');
  assert.is(lines.length, 100);
  assert.is(lines[99], 'line 100');
});

test('delete removes a finished job and its log; running jobs are refused; --all keeps running ones', async () => {
  const done = await d.run(['echo', 'bye']);
  await d.waitDone(done);
  const running = await d.run(['sleep', '300']);
  const refused = await d.rnx(['delete', running]);
  assert.is(refused.code, 1);
  assert.match(refused.stderr, /is (RUNNING|INITIALIZING); stop it first/);
  const del = await d.rnx(['delete', done]);
  assert.is(del.code, 0);
  assert.is(del.stdout, `Job ${done} deleted\n`);
  assert.match((await d.rnx(['status', done])).stderr, /not found/);
  const all = await d.rnx(['delete', '--all']);
  assert.is(all.code, 0);
  assert.match(all.stdout, /^Deleted \d+ jobs? \(1 still running, kept\)\n$/);
  const left = JSON.parse((await d.rnx(['list', '--json'])).stdout) as { id: string }[];
  assert.equal(left.map((j) => j.id), [running]);
  await d.rnx(['stop', running]);
  await d.waitDone(running);
  await d.rnx(['delete', '--all']);
  assert.is((await d.rnx(['list'])).stdout, 'No jobs found\n');
  assert.is((await d.rnx(['list', '--json'])).stdout.trim(), '[]');
});

test('environment: clean, with PATH, HOME, USER, HOSTNAME, JOB_ID and --env', async () => {
  const r = await d.rnx(['run', '--wait', '--env', 'FOO=bar baz', '-e', 'EMPTY=', 'env']);
  const env = Object.fromEntries(r.stdout.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  assert.is(env.FOO, 'bar baz');
  assert.is(env.EMPTY, '');
  assert.is(env.HOME, '/work');
  assert.is(env.USER, 'job');
  assert.match(env.HOSTNAME!, /^job-[0-9a-f]{8}$/);
  assert.match(env.JOB_ID!, /^[0-9a-f-]{36}$/);
  assert.ok(env.PATH!.includes('/usr/bin'));
  assert.not.ok('JOBLET_CONFIG_PATH' in env || 'SSH_AUTH_SOCK' in env || 'RNX_CONFIG' in env, 'daemon environment leaked');
  const bad = await d.rnx(['run', '--env', 'NOEQUALS', 'true']);
  assert.is(bad.code, 1);
  assert.match(bad.stderr, /--env NOEQUALS: use KEY=VALUE/);
  const reserved = await d.rnx(['run', '--env', 'JOB_ID=x', 'true']);
  assert.match(reserved.stderr, /JOB_ID is set by joblet/);
  const badKey = await d.rnx(['run', '--env', '1X=y', 'true']);
  assert.match(badKey.stderr, /environment variable name '1X' is invalid/);
});

test('--workdir sets the working directory; a relative one is refused', async () => {
  const r = await d.rnx(['run', '--wait', '--workdir', '/tmp', 'pwd']);
  assert.is(r.stdout, '/tmp\n');
  assert.is((await d.rnx(['run', '--wait', 'pwd'])).stdout, '/work\n');
  const bad = await d.rnx(['run', '--workdir', 'rel/dir', 'pwd']);
  assert.is(bad.code, 1);
  assert.match(bad.stderr, /work_dir 'rel\/dir' must be an absolute/);
});

test('flags of later features are refused by name, never ignored', async () => {
  for (const flag of ['--secret-env=A=b', '--gpu=1']) {
    const r = await d.rnx(['run', flag, 'true']);
    assert.is(r.code, 1, flag);
    assert.match(r.stderr, /is not available in this release of joblet/, flag);
  }
  const unknown = await d.rnx(['run', '--frobnicate', 'true']);
  assert.is(unknown.code, 2);
  assert.match(unknown.stderr, /^rnx: unknown flag '--frobnicate' for 'rnx run'/);
  const none = await d.rnx(['run']);
  assert.is(none.code, 2);
  assert.match(none.stderr, /^rnx: no command given: rnx run \[FLAGS\] COMMAND \[ARG\.\.\.\]/);
});

async function waitFor(cond: () => Promise<boolean>, ms = 15000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('command, arguments and environment share one 256 KiB limit, checked before anything is stored', async () => {
  const before = JSON.parse((await d.rnx(['list', '--json'])).stdout).length;
  // Each piece stays below the kernel's 128 KiB per-string limit for rnx's own command line.
  const big = 'x'.repeat(100 * 1024);
  const r = await d.rnx(['run', '--env', `A=${big}`, '--env', `B=${big}`, 'echo', big]);
  assert.is(r.code, 1);
  assert.match(r.stderr, /^rnx: the job's command, arguments and environment take \d+ bytes; at most 262144 \(256 KiB\) together: pass large data as an upload instead\n$/);
  assert.is(JSON.parse((await d.rnx(['list', '--json'])).stdout).length, before);
  const ok = await d.rnx(['run', '--wait', 'sh', '-c', 'echo ${#1}', '--', 'y'.repeat(100 * 1024)]);
  assert.is(ok.stdout, `${100 * 1024}\n`);
});

test.run();
