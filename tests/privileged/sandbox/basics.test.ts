/**
 * The job process as the daemon drives it: output, exit codes, setup failures as typed errors,
 * the user it runs as, argv and stdio behaviour.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SandboxSetupError, spawnSandboxed } from '../../../src/sandbox/spawn';
import { InvalidArgumentError } from '../../../src/shared/errors';
import { initCommand, JOB_GID, JOB_UID, jobDirs, makeSpec, requireRoot, runJob, sh } from './helpers';

const it = requireRoot() ? test : test.skip;

it('stdout and stderr arrive separately, exit code passes through', async () => {
  const r = await sh('echo out; echo err >&2; echo out2; exit 42');
  assert.is(r.setupError, undefined);
  assert.is(r.stdout, 'out\nout2\n');
  assert.is(r.stderr, 'err\n');
  assert.is(r.code, 42);
  assert.is(r.signal, null);
});

it('a missing command is a SandboxSetupError with exit 127 and a clear message', async () => {
  const dirs = jobDirs();
  try {
    const r = await runJob(makeSpec(dirs, 'no-such-command-xyz'));
    assert.ok(r.setupError, 'started must reject');
    assert.is(r.setupError.failure.exitCode, 127);
    assert.is(r.setupError.message, "command 'no-such-command-xyz' not found in PATH (/usr/local/bin:/usr/bin:/bin)");
    assert.is(r.code, 127);
    assert.is(r.stdout + r.stderr, '', 'nothing on the job output');
  } finally {
    dirs.cleanup();
  }
});

it('a file without the execute bit is exit 126', async () => {
  const dirs = jobDirs();
  try {
    fs.writeFileSync(path.join(dirs.workDirHost, 'script.sh'), '#!/bin/sh\necho hi\n', { mode: 0o644 });
    const r = await runJob(makeSpec(dirs, './script.sh'));
    assert.is(r.setupError?.failure.exitCode, 126);
    assert.match(r.setupError?.message ?? '', /not executable/);
    assert.is(r.code, 126);
  } finally {
    dirs.cleanup();
  }
});

it('an executable script in /work runs by relative path and finds its interpreter', async () => {
  const dirs = jobDirs();
  try {
    fs.writeFileSync(path.join(dirs.workDirHost, 'run.sh'), '#!/bin/sh\necho "args: $*"\n', { mode: 0o755 });
    const r = await runJob(makeSpec(dirs, './run.sh', ['a', 'b']));
    assert.is(r.setupError, undefined);
    assert.is(r.stdout, 'args: a b\n');
    assert.is(r.code, 0);
  } finally {
    dirs.cleanup();
  }
});

it('a setup failure names the call, its arguments and errno', async () => {
  const dirs = jobDirs();
  try {
    const r = await runJob(makeSpec(dirs, 'true', [], { workdir: '/work/does-not-exist' }));
    const f = r.setupError?.failure;
    assert.ok(f, 'started must reject');
    assert.equal([f.op, f.args, f.errno, f.exitCode], ['chdir', '/work/does-not-exist', 'ENOENT', 125]);
    assert.match(f.message, /chdir\(\/work\/does-not-exist\): ENOENT/);
    assert.is(r.code, 125);
  } finally {
    dirs.cleanup();
  }
});

it('a malformed spec (uid 0, NUL in an argument) is refused before any process exists', async () => {
  const dirs = jobDirs();
  try {
    assert.throws(() => spawnSandboxed(makeSpec(dirs, 'id', [], { uid: 0 }), initCommand()), (e: Error) => e instanceof InvalidArgumentError && /'uid'/.test(e.message));
    assert.throws(() => spawnSandboxed(makeSpec(dirs, 'echo', ['a\0b']), initCommand()), (e: Error) => e instanceof InvalidArgumentError && /NUL/.test(e.message));
    assert.throws(() => spawnSandboxed(makeSpec(dirs, 'id', [], { userName: 'x:0:0' }), initCommand()), (e: Error) => e instanceof InvalidArgumentError);
  } finally {
    dirs.cleanup();
  }
});

it('a large spec (over the default 64 KiB pipe) gets through whole', async () => {
  const big = 'x'.repeat(100_000);
  const r = await sh('printf %s "$BIG" | wc -c', { env: { PATH: '/usr/bin:/bin', BIG: big } });
  assert.is(r.stdout.trim(), '100000');
});

it('the command runs as the spec uid/gid with only its own group', async () => {
  const r = await sh('id -u; id -g; id -G; whoami');
  assert.is(r.stdout, `${JOB_UID}\n${JOB_GID}\n${JOB_GID}\njob\n`);
});

it('argv is passed verbatim, argv[0] is the command as given', async () => {
  const dirs = jobDirs();
  try {
    const r = await runJob(makeSpec(dirs, 'printf', ['%s|', 'a b', '$HOME', '', '*']));
    assert.is(r.stdout, 'a b|$HOME||*|');
    const r0 = await runJob(makeSpec(dirs, 'sh', ['-c', 'echo $0']));
    assert.is(r0.stdout, 'sh\n');
  } finally {
    dirs.cleanup();
  }
});

it('stdout is a real pipe: /dev/stdout works, SIGPIPE has its default action', async () => {
  const r = await sh('echo via-dev-stdout > /dev/stdout; yes | head -n 1; echo done');
  assert.is(r.stdout, 'via-dev-stdout\ny\ndone\n');
  assert.is(r.stderr, '', 'yes must die of SIGPIPE quietly, not report EPIPE');
});

it('started resolves while the command runs; the daemon can kill it', async () => {
  const dirs = jobDirs();
  try {
    const proc = spawnSandboxed(makeSpec(dirs, 'sleep', ['30']), initCommand());
    await proc.started;
    const stat = fs.readFileSync(`/proc/${proc.pid}/comm`, 'utf8');
    assert.is(stat, 'sleep\n', 'the init has been replaced by the command (same pid)');
    process.kill(proc.pid, 'SIGKILL');
    assert.equal(await proc.exited, { code: null, signal: 'SIGKILL' });
  } finally {
    dirs.cleanup();
  }
});

it('the job starts in a new session with no controlling terminal', async () => {
  const r = await sh("awk '{print $6, $7}' /proc/1/stat");
  assert.is(r.stdout, '1 0\n', 'session id 1 (itself), tty_nr 0');
});

it('rlimits: core dumps off, NOFILE from the spec', async () => {
  const r = await sh('ulimit -c; ulimit -n; ulimit -Hn', { rlimits: { NOFILE: [200, 300] } });
  assert.is(r.stdout, '0\n200\n300\n');
  const d = await sh('ulimit -n', { rlimits: {} });
  assert.is(d.stdout, '1024\n', 'default soft NOFILE, not the hard limit Node raised it to');
});

it('an init binary that cannot start is a synchronous SandboxSetupError, with no fd leaked', async () => {
  const dirs = jobDirs();
  try {
    const before = fs.readdirSync('/proc/self/fd').length;
    assert.throws(() => spawnSandboxed(makeSpec(dirs, 'true'), ['/nonexistent/joblet-binary']), (e: Error) => e instanceof SandboxSetupError && e.failure.op === 'spawn');
    assert.is(fs.readdirSync('/proc/self/fd').length, before);
    assert.is(fs.readlinkSync('/proc/self/ns/pid_for_children'), fs.readlinkSync('/proc/self/ns/pid'), 'back in our own PID namespace');
    const r = await runJob(makeSpec(dirs, 'echo', ['still works']));
    assert.is(r.stdout, 'still works\n');
  } finally {
    dirs.cleanup();
  }
});

it('concurrent jobs each get their own sandbox', async () => {
  const results = await Promise.all([1, 2, 3, 4, 5].map((n) => sh(`echo job-${n} > /tmp/me; sleep 0.2; cat /tmp/me; hostname`, { hostname: `host-${n}` })));
  results.forEach((r, i) => assert.is(r.stdout, `job-${i + 1}\nhost-${i + 1}\n`));
});

test.run();
