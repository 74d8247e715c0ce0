/**
 * The console's run form: the `rnx run` command it shows (quoted so that a POSIX shell gives back
 * exactly the words rnx must see) and the request it sends (refused with rnx's messages). That the
 * command really starts the same job is shown against a daemon in tests/integration/console.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { toRequest } from '../../src/console/api/run';
import { emptyRunSpec, runArgv, runCommandLine, type RunSpec } from '../../src/console/shared/run-spec';

function spec(over: Partial<RunSpec>): RunSpec {
  return { ...emptyRunSpec(), ...over };
}

/** The words a POSIX shell makes of a command line (rnx replaced by printf). */
function shellWords(line: string): string[] {
  const r = spawnSync('sh', ['-c', `printf '%s\\0' ${line.replace(/^rnx /, '')}`], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  return r.stdout.split('\0').slice(0, -1);
}

test('the argv names every flag rnx run knows, in its syntax', () => {
  const s = spec({
    command: 'python3',
    args: ['-c', 'print(1)'],
    env: [['A', '1'], ['B', 'x=y z']],
    workdir: '/work/sub',
    network: 'isolated',
    volumes: ['data', 'cache'],
    uploadSources: [{ kind: 'file', name: 'job.sh' }, { kind: 'dir', name: 'src' }],
    limits: { maxCpu: '150', cpuCores: '0-1', maxMemory: '256', maxIobps: '1048576', maxPids: '64', maxDisk: '10MB', timeout: '5m' },
  });
  assert.equal(runArgv(s), [
    'run', '--env=A=1', '--env=B=x=y z', '--workdir=/work/sub', '--upload=job.sh', '--upload-dir=src', '--volume=data', '--volume=cache', '--network=isolated',
    '--max-cpu=150', '--cpu-cores=0-1', '--max-memory=256', '--max-iobps=1048576', '--max-pids=64', '--max-disk=10MB', '--timeout=5m', 'python3', '-c', 'print(1)',
  ]);
  assert.equal(runArgv(spec({ command: 'true' }), 'staging'), ['run', '--node=staging', 'true']);
  // The runtime comes after the network, as rnx's help lists it; none is no flag at all.
  assert.equal(runArgv(spec({ command: 'python3', network: 'none', runtime: 'python:3.11-ml' })), ['run', '--network=none', '--runtime=python:3.11-ml', 'python3']);
  assert.equal(runArgv(spec({ command: 'python3', runtime: '' })), ['run', 'python3']);
  // rnx stops reading flags at `--`: a command that starts with a dash needs it.
  assert.equal(runArgv(spec({ command: '-weird', args: ['x'] })), ['run', '--', '-weird', 'x']);
});

test('the command line survives a real shell word for word, whatever the arguments hold', () => {
  const hostile = ["it's", 'a b', '$HOME', '`id`', '"q"', '\\', '', '*', 'a\nb', '--env=X', ';rm -rf /'];
  const s = spec({ command: 'printf', args: hostile, env: [['K', "v'al ue"]] });
  const line = runCommandLine(s);
  assert.equal(shellWords(line), runArgv(s));
  assert.ok(line.startsWith("rnx run '--env=K=v'\\''al ue' printf "), line);
});

test('the request carries what the flags say, parsed as rnx parses them', () => {
  const r = toRequest(spec({ command: 'sh', args: ['-c', 'true'], env: [['A', '1']], volumes: ['v1'], network: 'none', limits: { ...emptyRunSpec().limits, cpuCores: '1,0', maxDisk: '2MB', timeout: '1m30s', maxMemory: '64' } }));
  assert.equal(
    { command: r.command, args: r.args, env: r.environment, volumes: r.volumes, network: r.network, cores: r.cpuCores, disk: r.maxDiskBytes, timeout: r.timeout, memory: r.maxMemory, cpu: r.maxCpu },
    { command: 'sh', args: ['-c', 'true'], env: { A: '1' }, volumes: ['v1'], network: 'none', cores: '0-1', disk: String(2 * 1024 * 1024), timeout: '1m30s', memory: 64, cpu: 0 },
  );
});

test('bad values are refused with the message of the rnx flag', () => {
  const limits = emptyRunSpec().limits;
  assert.throws(() => toRequest(spec({ command: '' })), /no command given/);
  assert.throws(() => toRequest(spec({ command: 'x', limits: { ...limits, maxMemory: '2' } })), /^--max-memory: 2 is out of range; allowed: 4-4194304 MB$/);
  assert.throws(() => toRequest(spec({ command: 'x', limits: { ...limits, cpuCores: '3-1' } })), /^--cpu-cores: range '3-1' goes backwards/);
  assert.throws(() => toRequest(spec({ command: 'x', limits: { ...limits, timeout: 'soon' } })), /^--timeout: 'soon' is not a duration/);
  assert.throws(() => toRequest(spec({ command: 'x', limits: { ...limits, maxDisk: 'lots' } })), /^--max-disk: 'lots' is not a size/);
  assert.throws(() => toRequest(spec({ command: 'x', volumes: ['../etc'] })), /^invalid volume name '\.\.\/etc': /);
  assert.throws(() => toRequest(spec({ command: 'x', volumes: ['a', 'a'] })), /--volume=a is given twice/);
  assert.throws(() => toRequest(spec({ command: 'x', env: [['', 'v']] })), /use KEY=VALUE/);
  assert.throws(() => toRequest(spec({ command: 'x', runtime: '  ' })), /^--runtime needs a name, e\.g\. --runtime=python:3\.11-ml \(see 'rnx runtime list'\)$/);
});

test('the runtime goes to the server as rnx sends it; none or left out is the host /usr', () => {
  assert.is(toRequest(spec({ command: 'python3', runtime: ' python:3.11-ml ' })).runtime, 'python:3.11-ml');
  assert.is(toRequest(spec({ command: 'python3', runtime: '' })).runtime, '');
  const { runtime: _, ...older } = spec({ command: 'true' });
  assert.is(toRequest(older as RunSpec).runtime, '');
});

test.run();
