/** Parsing of limit flags, shared by rnx and the daemon. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatCores, formatDuration, formatSize, parseCores, parseDuration, parsePositiveInt, parseSize } from '../../src/shared/limits';

test('cores: ranges, lists and mixes; canonical form', () => {
  assert.equal(parseCores('--cpu-cores', '0-3'), [0, 1, 2, 3]);
  assert.equal(parseCores('--cpu-cores', '1,3,5'), [1, 3, 5]);
  assert.equal(parseCores('--cpu-cores', '4,0-1'), [0, 1, 4]);
  assert.is(formatCores([0, 1, 2, 4, 6, 7]), '0-2,4,6-7');
  for (const [bad, msg] of [['3-1', /goes backwards/], ['0,0', /listed twice/], ['0-1,1', /listed twice/], ['a', /not a core or a range/], ['', /empty core list/], ['-1', /not a core/], ['9999', /does not exist/]] as const) {
    assert.throws(() => parseCores('--cpu-cores', bad), msg, bad);
  }
});

test('durations: 90s, 5m, 2h30m; bounds', () => {
  assert.is(parseDuration('--timeout', '90s'), 90_000);
  assert.is(parseDuration('--timeout', '2h30m'), 9_000_000);
  assert.is(parseDuration('--timeout', '1h15m30s'), 4_530_000);
  assert.is(formatDuration(9_000_000), '2h30m');
  assert.is(formatDuration(2000), '2s');
  assert.throws(() => parseDuration('--timeout', '0s'), /out of range/);
  assert.throws(() => parseDuration('--timeout', '5'), /not a duration/);
  assert.throws(() => parseDuration('--timeout', '-5s'), /not a duration/);
  assert.throws(() => parseDuration('--timeout', '2h', 3600_000), /allowed: 1s to 1h/);
});

test('sizes: units, fractions, bounds', () => {
  assert.is(parseSize('--max-disk', '10MB', 1, 2 ** 40), 10 * 1024 * 1024);
  assert.is(parseSize('--max-disk', '1.5GB', 1, 2 ** 40), 1.5 * 1024 ** 3);
  assert.is(parseSize('--max-disk', '4096', 1, 2 ** 40), 4096);
  assert.is(formatSize(1572864), '1.5MB');
  assert.throws(() => parseSize('--max-disk', '-1MB', 1, 10), /not a size/);
  assert.throws(() => parseSize('--max-disk', '5TB', 1, 2 ** 40), /out of range/);
  assert.throws(() => parseSize('--max-disk', '1e9', 1, 2 ** 40), /not a size/);
});

test('whole numbers: signs, exponents, NaN and overflow are refused', () => {
  assert.is(parsePositiveInt('--max-cpu', '250', 1, 1000), 250);
  for (const bad of ['-1', '1e3', 'NaN', '1.5', ' ', '99999999999999999999', '0x10']) {
    assert.throws(() => parsePositiveInt('--max-cpu', bad, 1, 1000), /--max-cpu: /, bad);
  }
  assert.throws(() => parsePositiveInt('--max-cpu', '1001', 1, 1000), /out of range; allowed: 1-1000/);
});

test.run();
