/**
 * The CLI against a real daemon, through the real binary: Docker-style aliases, clean pipes
 * (`| head -1` and readers that go away), no ANSI when piped and colour only on a terminal,
 * the [joblet] reason lines, Ctrl-C while following, id messages as scripts grep them, and
 * `rnx version`.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { exec, freePort, TestDaemon, type RunResult } from '../helpers/daemon';

let d: TestDaemon;
test.before(async () => {
  d = await TestDaemon.start();
});
test.after(async () => {
  await d?.destroy();
});

const ANSI = /\x1b\[/;

/** `rnx ARGS | READER` in bash: what the reader printed, and rnx's own stderr and exit status. */
async function piped(args: string[], reader: string): Promise<{ out: string; rnxErr: string; rnxCode: number }> {
  const errFile = path.join(d.dir, `err-${Math.random().toString(36).slice(2)}`);
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const line = `${q(d.rnxBinary)} --config ${q(d.rnxConfig)} ${args.map(q).join(' ')} 2>${q(errFile)} | ${reader}; echo "rnx-exit=\${PIPESTATUS[0]}" >&2`;
  const r = await exec('bash', ['-c', line], { timeoutMs: 60000 });
  const code = Number(/rnx-exit=(\d+)/.exec(r.stderr)?.[1] ?? -1);
  const rnxErr = fs.readFileSync(errFile, 'utf8');
  return { out: r.stdout, rnxErr, rnxCode: code };
}

/** Run a command line under a pseudo-terminal (`script`), as a user at a terminal would. */
function onTerminal(args: string[], env: Record<string, string> = {}): Promise<RunResult> {
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const line = [d.rnxBinary, '--config', d.rnxConfig, ...args].map(q).join(' ');
  return exec('script', ['-qec', line, '/dev/null'], { env: { TERM: 'xterm', ...env }, timeoutMs: 60000 });
}

async function waitFor(cond: () => Promise<boolean>, ms = 20000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

const statusOf = async (id: string) => JSON.parse((await d.rnx(['status', '--json', id])).stdout).status as string;

test('Docker aliases: ps = list, logs = log, inspect = status --json, rm = delete', async () => {
  const id = await d.run(['sh', '-c', 'echo hello alias']);
  await d.waitDone(id);
  const ps = await d.rnx(['ps']);
  assert.is(ps.code, 0, ps.stderr);
  assert.is(ps.stdout, (await d.rnx(['list'])).stdout);
  assert.match(ps.stdout, id);
  const logs = await d.rnx(['logs', id]);
  assert.is(logs.stdout, 'hello alias\n');
  const inspect = await d.rnx(['inspect', id]);
  assert.is(inspect.code, 0);
  assert.equal(JSON.parse(inspect.stdout), JSON.parse((await d.rnx(['status', '--json', id])).stdout));
  assert.is((await d.rnx(['job', 'status', '--json', id])).stdout, inspect.stdout);
  const rm = await d.rnx(['rm', id]);
  assert.is(rm.code, 0, rm.stderr);
  assert.is(rm.stdout, `Job ${id} deleted\n`);
  assert.is((await d.rnx(['status', id])).code, 1);
});

test('pipes: `| head -1` gets the first line; a reader that goes away ends rnx quietly (141), nothing on stderr', async () => {
  const id = await d.run(['seq', '200000']);
  await d.waitDone(id);
  const log = await piped(['log', id], 'head -1');
  assert.is(log.out, '1\n');
  assert.is(log.rnxErr, '');
  assert.is(log.rnxCode, 141, 'rnx log ends as a process killed by SIGPIPE would');
  const status = await piped(['status', id], 'head -1');
  assert.match(status.out, new RegExp(`^Job ID: +${id}\n$`));
  assert.is(status.rnxErr, '');
  assert.ok([0, 141].includes(status.rnxCode), `status exit ${status.rnxCode}`);
  for (const args of [['status', id], ['list'], ['help'], ['log', id], ['run', '--wait', 'seq', '100000'], ['status', '--json', id]]) {
    const gone = await piped(args, 'true');
    assert.is(gone.rnxErr, '', `rnx ${args.join(' ')} | true`);
    assert.ok([0, 141].includes(gone.rnxCode), `rnx ${args.join(' ')} | true: exit ${gone.rnxCode}`);
  }
});

test('piped output carries no ANSI codes; on a terminal help is coloured unless NO_COLOR is set', async () => {
  const id = await d.run(['echo', 'plain']);
  await d.waitDone(id);
  for (const args of [['help'], ['run', '--help'], ['volume'], ['list'], ['status', id], ['log', id], ['lsit'], ['status', 'nope-id'], ['version']]) {
    const r = await d.rnx(args);
    assert.not.match(r.stdout + r.stderr, ANSI, args.join(' '));
  }
  const tty = await onTerminal(['help']);
  assert.match(tty.stdout, /\x1b\[1mUsage:/);
  for (const env of [{ NO_COLOR: '1' }, { TERM: 'dumb' }] as Record<string, string>[]) {
    const plain = await onTerminal(['help'], env);
    assert.match(plain.stdout, /Usage:/);
    assert.not.match(plain.stdout, ANSI, JSON.stringify(env));
  }
});

test('typo guard: `rnx run help` runs the job as asked, with a one-line note on a terminal only', async () => {
  const tty = await onTerminal(['run', '--wait', 'help']);
  assert.match(tty.stdout, /rnx: note: running 'help' as the job's command on the server; if you meant 'rnx run --help', run that instead\r?\n/);
  assert.match(tty.stdout, /\[joblet\] command 'help' not found in PATH/, 'and the job ran');
  const pipedRun = await d.rnx(['run', '--wait', 'help']);
  assert.is(pipedRun.code, 127);
  assert.not.match(pipedRun.stderr, /note:/);
});

test('--wait: the [joblet] reason line for a timeout, an OOM kill, a signal and rnx stop, then the job exit code', async () => {
  // A job that handles SIGTERM ends with its own code; one that ignores it (sleep as PID 1) gets SIGKILL: 137.
  const timeout = await d.rnx(['run', '--wait', '--timeout=1s', 'sh', '-c', 'trap "exit 143" TERM; sleep 30 & wait']);
  assert.is(timeout.code, 143);
  assert.is(timeout.stderr, '[joblet] killed: timeout (limit 1s); exit code 143\n');
  const oom = await d.rnx(['run', '--wait', '--max-memory=32', 'sh', '-c', 'a=x; while :; do a=$a$a; done']);
  assert.is(oom.code, 137);
  assert.match(oom.stderr, /\[joblet\] killed: out of memory \(limit 32 MB\); exit code 137\n$/);
  // PID 1 of a namespace ignores signals sent from inside it; a fault the kernel raises still kills it.
  const signal = await d.rnx(['run', '--wait', '/usr/bin/python3', '-c', 'import ctypes; ctypes.string_at(0)']);
  assert.is(signal.code, 139);
  assert.is(signal.stderr, '[joblet] killed by signal SIGSEGV; exit code 139\n');
  const plain = await d.rnx(['run', '--wait', 'sh', '-c', 'echo oops >&2; exit 3']);
  assert.is(plain.code, 3);
  assert.is(plain.stderr, 'oops\n', 'no reason line when the job ended on its own');

  const before = new Set((JSON.parse((await d.rnx(['list', '--json'])).stdout) as { id: string }[]).map((j) => j.id));
  const waiting = d.rnx(['run', '--wait', 'sh', '-c', 'trap "exit 143" TERM; sleep 60 & wait'], { timeoutMs: 60000 });
  let id = '';
  await waitFor(async () => {
    const jobs = JSON.parse((await d.rnx(['list', '--json'])).stdout) as { id: string; status: string }[];
    id = jobs.find((j) => !before.has(j.id) && j.status === 'RUNNING')?.id ?? '';
    return id !== '';
  });
  assert.is((await d.rnx(['stop', id])).code, 0);
  const stopped = await waiting;
  assert.is(stopped.code, 143);
  assert.is(stopped.stderr, '[joblet] stopped by admin-client; exit code 143\n');
});

/** Start `rnx ARGS` as a child whose stderr we watch; resolves when it exits. */
function startRnx(args: string[]): { child: ReturnType<typeof spawn>; err: () => string; done: Promise<number> } {
  const child = spawn(d.rnxBinary, ['--config', d.rnxConfig, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (b) => (err += b));
  child.stdout!.resume();
  const done = new Promise<number>((resolve) => child.on('exit', (code, sig) => resolve(code ?? (sig ? 128 : -1))));
  return { child, err: () => err, done };
}

async function newRunningJob(before: Set<string>): Promise<string> {
  let id = '';
  await waitFor(async () => {
    const jobs = JSON.parse((await d.rnx(['list', '--json'])).stdout) as { id: string; status: string }[];
    id = jobs.find((j) => !before.has(j.id) && j.status === 'RUNNING')?.id ?? '';
    return id !== '';
  });
  return id;
}

const knownIds = async () => new Set((JSON.parse((await d.rnx(['list', '--json'])).stdout) as { id: string }[]).map((j) => j.id));

test('Ctrl-C during --wait stops following and leaves the job running, saying how to reattach (exit 130)', async () => {
  const before = await knownIds();
  const r = startRnx(['run', '--wait', 'sh', '-c', 'echo started; sleep 60']);
  const id = await newRunningJob(before);
  r.child.kill('SIGINT');
  assert.is(await r.done, 130);
  assert.match(r.err(), new RegExp(`rnx: job ${id} keeps running; reattach with 'rnx log ${id}', stop it with 'rnx stop ${id}'\\n`));
  assert.match(r.err(), /press Ctrl-C again within 2 seconds to stop it now/);
  assert.is(await statusOf(id), 'RUNNING');
  await d.rnx(['stop', id]);
});

test('a second Ctrl-C within the window stops the job', async () => {
  const before = await knownIds();
  const r = startRnx(['run', '--wait', 'sh', '-c', 'trap "exit 143" TERM; sleep 60 & wait']);
  const id = await newRunningJob(before);
  r.child.kill('SIGINT');
  await waitFor(async () => r.err().includes('press Ctrl-C again'));
  r.child.kill('SIGINT');
  assert.is(await r.done, 130);
  assert.match(r.err(), new RegExp(`rnx: stopping job ${id}\\.\\.\\.\\nrnx: job ${id} stopped, exit code 143\\n`));
  assert.is(await statusOf(id), 'STOPPED');
});

test('Ctrl-C during rnx log stops following; the job keeps running', async () => {
  const id = await d.run(['sh', '-c', 'echo tick; sleep 60']);
  const r = startRnx(['log', id]);
  await waitFor(async () => (await statusOf(id)) === 'RUNNING');
  await new Promise((res) => setTimeout(res, 300));
  r.child.kill('SIGINT');
  assert.is(await r.done, 130);
  assert.match(r.err(), new RegExp(`rnx: stopped following job ${id}, which keeps running; reattach with 'rnx log ${id}', stop it with 'rnx stop ${id}'\\n`));
  assert.is(await statusOf(id), 'RUNNING');
  await d.rnx(['stop', id]);
});

test('ids and names: malformed ones and unknown ones are refused in the words scripts grep, exit 1', async () => {
  for (const cmd of [['status'], ['log'], ['stop'], ['delete'], ['inspect']]) {
    const bad = await d.rnx([...cmd, 'x']);
    assert.is(bad.code, 1, cmd[0]);
    assert.is(bad.stderr, "rnx: invalid job id 'x': too short; give at least 4 characters of the id (see 'rnx list')\n", cmd[0]);
    const weird = await d.rnx([...cmd, 'zz;rm']);
    assert.is(weird.stderr, "rnx: invalid job id 'zz;rm': ids are UUIDs like 3f2a9c1e-… (see 'rnx list')\n", cmd[0]);
    const unknown = await d.rnx([...cmd, 'ffff0000']);
    assert.is(unknown.code, 1, cmd[0]);
    assert.is(unknown.stderr, "rnx: job 'ffff0000' not found (see 'rnx list')\n", cmd[0]);
  }
  const vBad = await d.rnx(['volume', 'remove', 'a/b']);
  assert.is(vBad.code, 1);
  assert.match(vBad.stderr, /^rnx: invalid volume name 'a\/b': use 1-63 characters/);
  const vUnknown = await d.rnx(['volume', 'remove', 'nosuch']);
  assert.is(vUnknown.code, 1);
  assert.is(vUnknown.stderr, "rnx: volume 'nosuch' not found (see 'rnx volume list')\n");
  const nBad = await d.rnx(['network', 'remove', 'Bad_Name']);
  assert.is(nBad.code, 1);
  assert.match(nBad.stderr, /^rnx: invalid network name 'Bad_Name': use a-z, 0-9 and -/);
  const nUnknown = await d.rnx(['network', 'remove', 'nosuch']);
  assert.is(nUnknown.code, 1);
  assert.is(nUnknown.stderr, "rnx: network 'nosuch' not found (see 'rnx network list')\n");
});

test('rnx version: client and server, with the node; exit 1 with the reason when the server cannot be asked; --version is the client alone', async () => {
  const v = await d.rnx(['version']);
  assert.is(v.code, 0, v.stderr);
  assert.match(v.stdout, /^Client: rnx \S+ \(commit \S+, node v\d+\.\d+\.\d+, linux\/x64\)\n/);
  assert.match(v.stdout, new RegExp(`\\nServer: joblet \\S+ \\(commit \\S+, node v\\d+\\.\\d+\\.\\d+, linux/x64\\), host \\S+, node 'default' at 127\\.0\\.0\\.1:${d.port}\\n$`));
  for (const args of [['--version'], ['-v']]) {
    const c = await d.rnx(args);
    assert.is(c.code, 0, c.stderr);
    assert.match(c.stdout, /^Client: rnx \S+ \(commit \S+, node v\d+\.\d+\.\d+, linux\/x64\)\n$/);
  }
  const json = JSON.parse((await d.rnx(['version', '--json'])).stdout);
  assert.is(json.server.program, 'joblet');
  assert.is(json.node, 'default');
  assert.is(json.serverError, null);
  // A node whose server is down.
  const cfg = fs.readFileSync(d.rnxConfig, 'utf8').replace(`127.0.0.1:${d.port}`, `127.0.0.1:${await freePort()}`);
  const downConfig = path.join(d.dir, 'down.yml');
  fs.writeFileSync(downConfig, cfg, { mode: 0o600 });
  const down = await exec(d.rnxBinary, ['--config', downConfig, 'version']);
  assert.is(down.code, 1);
  assert.match(down.stdout, /^Client: rnx /);
  assert.not.match(down.stdout, /Server:/);
  assert.match(down.stderr, /^rnx: server version unknown: cannot reach joblet at 127\.0\.0\.1:\d+ \(node 'default'\): connection refused/);
  const quick = await exec(d.rnxBinary, ['--config', downConfig, '--version']);
  assert.is(quick.code, 0, 'rnx --version never asks the server');
  assert.is(quick.stderr, '');
});

test.run();
