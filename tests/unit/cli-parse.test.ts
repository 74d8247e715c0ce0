/**
 * rnx's parsing and behaviour without a server: `rnx run` flags vs the job's argv (clipanion's
 * proxy), global flags before the command, flags of later features refused, the typo note on a
 * terminal, the [joblet] reason lines, JSON times, closed pipes and internal errors.
 */
import { PassThrough } from 'node:stream';
import { Cli } from 'clipanion';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { CliContext } from '../../src/cli/base';
import { reportError } from '../../src/cli/base';
import { RunCommand, RunWithoutCommand } from '../../src/cli/commands/run';
import { jobJson } from '../../src/cli/format';
import { reasonLine } from '../../src/cli/outcome';
import { buildRunRequest } from '../../src/cli/run-request';
import { registry } from '../../src/cli/rnx';
import { closest, editDistance } from '../../src/cli/suggest';
import { exitQuietlyOnClosedPipe } from '../../src/cli/terminal';
import type { Job } from '../../src/gen/joblet';
import { rnx } from './cli-run';

/** Parse `rnx run ...` as rnx does and return the command with its values. */
function parseRun(argv: string[]): RunCommand {
  const cli = new Cli<CliContext>({ binaryName: 'rnx' });
  cli.register(RunCommand);
  cli.register(RunWithoutCommand);
  return cli.process(argv, { program: 'rnx', registry: registry() } as never) as RunCommand;
}

test("rnx run: flags before COMMAND are rnx's, COMMAND and everything after go to the job verbatim", () => {
  const c = parseRun(['run', '--env', 'A=1', '-e=B=x=y', '--workdir=/tmp', '--wait', 'sh', '-c', 'echo $A', '--env', 'C=3', '--help', '-h']);
  assert.equal(c.env, ['A=1', 'B=x=y']);
  assert.is(c.workdir, '/tmp');
  assert.is(c.wait, true);
  assert.equal(c.argv, ['sh', '-c', 'echo $A', '--env', 'C=3', '--help', '-h']);
  assert.equal(parseRun(['run', '--', '--weird-cmd', '-x']).argv, ['--weird-cmd', '-x']);
  assert.equal(parseRun(['run', 'echo', '--']).argv, ['echo', '--']);
  assert.equal(parseRun(['run', 'sh', '-c', 'echo "$1 $2"', '--', 'a', 'b']).argv, ['sh', '-c', 'echo "$1 $2"', '--', 'a', 'b']);
  const limits = parseRun(['run', '--max-cpu=150', '--cpu-cores', '1,0', '--max-memory', '64', '--timeout=1m30s', '-w', 'true']);
  assert.equal([limits.maxCpu, limits.cpuCores, limits.maxMemory, limits.timeout, limits.wait], ['150', '1,0', '64', '1m30s', true]);
  assert.equal(parseRun(['run', '--volume=a', '--volume', 'b', '--upload', 'x', '--upload-dir=d', 'ls']).volume, ['a', 'b']);
});

test('rnx run --runtime names a runtime for the job; an empty name is refused', () => {
  assert.is(parseRun(['run', '--runtime=python:3.11-ml', 'python3']).runtime, 'python:3.11-ml');
  assert.equal(parseRun(['run', '--runtime', 'java:17', 'java', '-version']).argv, ['java', '-version']);
  assert.is(buildRunRequest({ env: [], volumes: [], runtime: ' node:18 ' }, ['node']).runtime, 'node:18');
  assert.is(buildRunRequest({ env: [], volumes: [] }, ['true']).runtime, '');
  assert.throws(() => buildRunRequest({ env: [], volumes: [], runtime: '' }, ['true']), /^--runtime needs a name, e\.g\. --runtime=python:3\.11-ml/);
});

test('rnx run --workflow: flags without a COMMAND are still flags; a COMMAND after them is the job\'s', () => {
  const w = parseRun(['run', '--wait', '--workflow=p.yaml:train', '--env', 'A=1', '--json']);
  assert.instance(w, RunWithoutCommand);
  assert.equal([w.wait, w.workflow, w.env, w.jsonOutput, w.argv], [true, 'p.yaml:train', ['A=1'], true, []]);
  const c = parseRun(['run', '--workflow', 'p.yaml:train', '--max-memory=64', 'python3', 'train.py', '--epochs', '3']);
  assert.equal([c.workflow, c.maxMemory, c.argv], ['p.yaml:train', '64', ['python3', 'train.py', '--epochs', '3']]);
  assert.equal(parseRun(['run', '--wait']).argv, []);
});

test('global flags parse before and after the command', () => {
  for (const argv of [
    ['--config', '/c.yml', '--node', 'viewer', '--json', 'run', 'echo'],
    ['run', '--config=/c.yml', '--node=viewer', '--json', 'echo'],
    ['--config=/c.yml', 'run', '--node', 'viewer', '--json', 'echo'],
  ]) {
    const c = parseRun(argv);
    assert.equal([c.configPath, c.node, c.jsonOutput, c.argv], ['/c.yml', 'viewer', true, ['echo']], argv.join(' '));
  }
});

test('flags of later features are refused naming the feature (with or without a value), exit 1', async () => {
  for (const [flag, feature] of [
    ['--secret-env=A=b', 'secret environment variables'],
    ['--gpu', 'GPUs'],
    ['--gpu-memory=8GB', 'GPUs'],
  ]) {
    const name = flag.split('=')[0]!;
    const h = await rnx(['run', flag, 'true']);
    assert.is(h.code, 1, flag);
    assert.is(h.stderr, `rnx: ${name} (${feature}) is not available in this release of joblet\n`, flag);
  }
});

test('a job command that is an rnx command runs as asked; on a terminal a one-line note says so', async () => {
  const tty = await rnx(['run', 'help'], { tty: true });
  const lines = tty.stderr.split('\n');
  assert.is(lines[0], "rnx: note: running 'help' as the job's command on the server; if you meant 'rnx run --help', run that instead");
  assert.match(lines[1]!, /^rnx: config file .* does not exist/, 'then it goes on to run the job');
  const list = await rnx(['run', 'list', '--json'], { tty: true });
  assert.match(list.stderr, /^rnx: note: running 'list' as the job's command on the server; if you meant 'rnx list --json', run that instead\n/);
  const piped = await rnx(['run', 'help']);
  assert.not.match(piped.stderr, /note:/);
  const plain = await rnx(['run', 'make'], { tty: true });
  assert.not.match(plain.stderr, /note:/);
});

const LIMITS = { cpuPercent: 0, cpuCores: '', memoryBytes: 64 * 1048576, ioBps: 0, pids: 0, diskBytes: 0, timeoutMs: 90_000 };

test('the [joblet] reason line: OOM, timeout, signal, stop; none for a plain non-zero exit', () => {
  const j = (status: string, exitCode: number | null, signal: string, failureReason: string) => ({ status, exitCode, signal, failureReason, limits: LIMITS });
  assert.is(reasonLine(j('FAILED', 137, 'SIGKILL', 'out of memory (limit 64 MB)')), '[joblet] killed: out of memory (limit 64 MB); exit code 137');
  assert.is(reasonLine(j('FAILED', 143, 'SIGTERM', 'timeout: the job ran longer than 1m30s')), '[joblet] killed: timeout (limit 1m30s); exit code 143');
  assert.is(reasonLine(j('FAILED', 137, 'SIGKILL', 'killed by signal SIGKILL (exit code 137)')), '[joblet] killed by signal SIGKILL; exit code 137');
  assert.is(reasonLine(j('STOPPED', 143, 'SIGTERM', 'stopped by admin-client')), '[joblet] stopped by admin-client; exit code 143');
  assert.is(reasonLine(j('FAILED', 3, '', 'exited with code 3')), undefined);
  assert.is(reasonLine(j('FAILED', 127, '', "command 'x' not found in PATH")), undefined, 'already printed as a notice by the server');
  assert.is(reasonLine(j('COMPLETED', 0, '', '')), undefined);
});

test('JSON: times not known yet are null, never ""', () => {
  const base = { detail: undefined, uuid: 'u', command: 'sleep', args: ['9'], maxCpu: 0, cpuCores: '', maxMemory: 0, maxIoBps: 0, exitCode: 0, scheduledTime: '', runtime: '', environment: {}, secretEnvironment: {}, gpuIndices: [], gpuCount: 0, gpuMemoryMb: 0, nodeId: '', timeout: '' };
  const running = jobJson({ ...base, status: 'RUNNING', startTime: '2026-01-01T00:00:00Z', endTime: '' } as Job);
  assert.is(running.endTime, null);
  assert.is(running.exitCode, null);
  assert.is(running.createdTime, null, 'no detail from an old server');
  const starting = jobJson({ ...base, status: 'INITIALIZING', startTime: '2026-01-01T00:00:00Z', endTime: '' } as Job);
  assert.is(starting.startTime, null);
  const done = jobJson({ ...base, status: 'COMPLETED', startTime: '2026-01-01T00:00:00Z', endTime: '2026-01-01T00:00:01Z' } as Job);
  assert.equal([done.startTime, done.endTime, done.exitCode], ['2026-01-01T00:00:00Z', '2026-01-01T00:00:01Z', 0]);
});

test('did you mean: typos within a third of the word, transpositions count once, unrelated words get nothing', () => {
  assert.is(editDistance('hepl', 'help'), 1);
  assert.is(closest('lsit', ['list', 'log', 'ls']), 'list');
  assert.is(closest('--hepl', ['--help', '--env']), '--help');
  assert.is(closest('--max-mem', ['--max-memory', '--max-cpu']), '--max-memory');
  assert.is(closest('vol', ['volume', 'version']), 'volume');
  assert.is(closest('frobnicate', ['list', 'run', 'status']), undefined);
});

test('a closed pipe ends rnx quietly with 141; other stream errors are not swallowed', () => {
  const out = new PassThrough();
  const codes: number[] = [];
  exitQuietlyOnClosedPipe([out], (c) => codes.push(c));
  out.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
  assert.equal(codes, [141]);
  assert.throws(() => out.emit('error', Object.assign(new Error('boom'), { code: 'EIO' })), /boom/);
});

test('an internal error is one line with what to do; the stack only with RNX_DEBUG=1', () => {
  let err = '';
  const stderr = new PassThrough();
  stderr.on('data', (d) => (err += d));
  const bug = new TypeError("Cannot read properties of undefined (reading 'x')");
  assert.is(reportError(bug, { stderr, env: {}, program: 'rnx' }), 70);
  assert.is(err, "rnx: internal error: Cannot read properties of undefined (reading 'x') (run again with RNX_DEBUG=1 for details, and please report it)\n");
  err = '';
  reportError(bug, { stderr, env: { RNX_DEBUG: '1' }, program: 'rnx' });
  assert.match(err, /^rnx: internal error: TypeError: Cannot read properties.*\n\s+at /);
  err = '';
  const enoent = Object.assign(new Error("ENOENT: no such file or directory, open 'x.sh'"), { code: 'ENOENT', syscall: 'open' });
  assert.is(reportError(enoent, { stderr, env: {}, program: 'rnx' }), 1);
  assert.is(err, "rnx: ENOENT: no such file or directory, open 'x.sh'\n");
});

test('rnx version --client needs no server and no config', async () => {
  const v = await rnx(['version', '--client']);
  assert.is(v.code, 0, v.stderr);
  assert.match(v.stdout, /^Client: rnx \d+\.\d+\.\d+\S* \(commit \S+, node v\d+\.\d+\.\d+, linux\/\S+\)\n$/);
  const j = await rnx(['--version', '--client', '--json']);
  assert.equal(Object.keys(JSON.parse(j.stdout)), ['client', 'server', 'node', 'address', 'serverError']);
  const noConfig = await rnx(['-v']);
  assert.is(noConfig.code, 0, '-v never needs a config');
  assert.match(noConfig.stdout, /^Client: rnx /);
  const full = await rnx(['version']);
  assert.is(full.code, 1);
  assert.match(full.stdout, /^Client: rnx /);
  assert.match(full.stderr, /^rnx: server version unknown: config file \/nonexistent\/rnx-config\.yml \(from \$RNX_CONFIG\) does not exist/);
});

test.run();
