/** Volume names and types: what rnx and the daemon accept, and how refusals read. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildRunRequest } from '../../src/cli/run-request';
import { InvalidArgumentError } from '../../src/shared/errors';
import { VOLUME_NAME_RULE, checkVolumeName, parseVolumeType } from '../../src/shared/volumes';

/** The refusal message for `fn`; fails the test if it does not throw InvalidArgumentError. */
function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.instance(err, InvalidArgumentError);
    const msg = (err as Error).message;
    assert.not.match(msg, /[\x00-\x1f]/, 'message must be one printable line');
    return msg;
  }
  assert.unreachable('accepted');
  return '';
}

test('valid names are accepted unchanged', () => {
  for (const n of ['a', 'data', 'Data-2024_v1', '0cache', 'x'.repeat(63), 'A_-']) assert.is(checkVolumeName(n), n);
});

test('path characters, dots, leading - or _, spaces and non-ASCII are refused with the rule', () => {
  for (const n of ['..', '.', 'a/b', '../x', '/etc', 'a\\b', '.hidden', '-rf', '_x', 'a b', 'a.b', 'naïve', 'a:b', 'a*']) {
    const msg = refusal(() => checkVolumeName(n));
    assert.ok(msg.startsWith(`invalid volume name '`) && msg.includes(VOLUME_NAME_RULE), msg);
  }
});

test('control characters are not echoed raw', () => {
  const msg = refusal(() => checkVolumeName('a\nb\0c'));
  assert.match(msg, /^invalid volume name 'a\?b\?c': use /);
});

test('names longer than 63 characters are refused as too long', () => {
  assert.match(refusal(() => checkVolumeName('x'.repeat(64))), /': too long \(64 characters\); use /);
  assert.match(refusal(() => checkVolumeName('x'.repeat(5000))), /…': too long \(5000 characters\)/);
});

test('an empty name is refused as missing', () => {
  assert.match(refusal(() => checkVolumeName('')), /a volume name is required/);
});

test('volume types: filesystem (default) and memory, any case', () => {
  assert.is(parseVolumeType(''), 'filesystem');
  assert.is(parseVolumeType('filesystem'), 'filesystem');
  assert.is(parseVolumeType('Memory'), 'memory');
  assert.match(refusal(() => parseVolumeType('tmpfs')), /--type: 'tmpfs' is not a volume type; use filesystem .* or memory/);
});

test('rnx run --volume is repeatable, checked, and refuses a volume given twice', () => {
  const run = (volumes: string[], argv = ['ls']) => buildRunRequest({ env: [], volumes }, argv);
  const a = run(['data', 'cache'], ['ls', '/volumes']);
  assert.equal(a.volumes, ['data', 'cache']);
  assert.is(a.command, 'ls');
  assert.equal(run([], ['echo']).volumes, []);
  assert.match(refusal(() => run(['../etc'])), /invalid volume name '\.\.\/etc'/);
  assert.match(refusal(() => run(['a', 'a'])), /--volume=a is given twice/);
});

test.run();
