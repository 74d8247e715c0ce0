/** `rnx run` argument parsing: flags end at the command or at --; later features refused. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseRunArgs } from '../../src/cli/run-args';

test('flags before the command, everything after passed verbatim', () => {
  const r = parseRunArgs(['--env', 'A=1', '-e=B=x=y', '--workdir=/tmp', '--wait', 'sh', '-c', 'echo $A', '--env', 'C=3']);
  assert.equal(r.env, { A: '1', B: 'x=y' });
  assert.is(r.workdir, '/tmp');
  assert.is(r.wait, true);
  assert.is(r.command, 'sh');
  assert.equal(r.args, ['-c', 'echo $A', '--env', 'C=3']);
});

test('-- ends rnx flags, so a command may start with a dash', () => {
  const r = parseRunArgs(['--', '--weird-cmd', '-x']);
  assert.is(r.command, '--weird-cmd');
  assert.equal(r.args, ['-x']);
});

test('limits are parsed into the request', () => {
  const r = parseRunArgs(['--max-cpu=150', '--cpu-cores', '1,0', '--max-memory=64', '--max-pids=10', '--max-disk=2MB', '--timeout=1m30s', '--max-iobps=1048576', 'true']);
  assert.equal(r.limits, { maxCpu: 150, cpuCores: '0-1', maxMemory: 64, maxIoBps: 1048576, maxPids: 10, maxDiskBytes: 2 * 1024 * 1024, timeout: '1m30s' });
});

test('bad input: unknown flags, missing values, no command, later features', () => {
  assert.throws(() => parseRunArgs(['--nope', 'true']), /unknown flag --nope/);
  assert.throws(() => parseRunArgs(['--env']), /--env needs a value/);
  assert.throws(() => parseRunArgs(['--env', 'NOEQ', 'true']), /use KEY=VALUE/);
  assert.throws(() => parseRunArgs(['--wait']), /no command given/);
  assert.throws(() => parseRunArgs(['--wait=yes', 'true']), /--wait takes no value/);
  assert.throws(() => parseRunArgs(['--runtime=py', 'true']), /^--runtime \(runtimes\) is not available in this release of joblet$/);
});

test.run();
