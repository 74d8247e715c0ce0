/** Volume sizes as users write them: parsing (1024-based, rounded up to pages) and display. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { InvalidArgumentError } from '../../src/shared/errors';
import { MAX_VOLUME_BYTES, MIN_VOLUME_BYTES, formatVolumeSize, parseVolumeSize } from '../../src/shared/volumes';

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

/** The refusal message for `text`; fails the test if it parses. */
function refusal(text: string, max?: number): string {
  try {
    parseVolumeSize(text, max);
  } catch (err) {
    assert.instance(err, InvalidArgumentError);
    return (err as Error).message;
  }
  assert.unreachable(`'${text}' was accepted`);
  return '';
}

test('sizes with units are 1024-based', () => {
  assert.is(parseVolumeSize('500MB'), 500 * MiB);
  assert.is(parseVolumeSize('1GB'), GiB);
  assert.is(parseVolumeSize('1.5GB'), 1.5 * GiB);
  assert.is(parseVolumeSize('2TB'), 2 * 1024 ** 4);
  assert.is(parseVolumeSize('10M'), 10 * MiB);
  assert.is(parseVolumeSize('10mb'), 10 * MiB);
  assert.is(parseVolumeSize(' 64 MB '), 64 * MiB);
  assert.is(parseVolumeSize('4096KB'), 4 * MiB);
});

test('a bare number is bytes', () => {
  assert.is(parseVolumeSize('1048576'), MiB);
  assert.is(parseVolumeSize('1048576B'), MiB);
});

test('sizes are rounded up to whole 4 KiB pages', () => {
  assert.is(parseVolumeSize('1.1MB'), 1155072); // 1153433.6 bytes → 282 pages
  assert.is(parseVolumeSize('1048577'), MiB + 4096);
  assert.is(parseVolumeSize('1.1MB') % 4096, 0);
});

test('zero, tiny, negative and absurd sizes are refused with the allowed range', () => {
  for (const t of ['0', '0MB', '0.0GB', '1KB', '1048575', '512KB']) assert.match(refusal(t), /out of range; allowed: 1MB to /);
  assert.match(refusal('2TB', 1024 ** 4), /2TB is out of range; allowed: 1MB to 1TB/);
  assert.ok(MIN_VOLUME_BYTES === MiB && MAX_VOLUME_BYTES === 1024 ** 5);
});

test('text that is not a size is refused, naming the flag and an example', () => {
  for (const t of ['-1MB', '1e9', 'abc', '5PB', '1GB extra', '1,5GB', 'MB', '1.5.5GB', '0x10MB', '1GiB']) {
    assert.match(refusal(t), /^--size: '.*' is not a size; use e\.g\. 500MB or 1GB$/);
  }
});

test('a missing size says that --size is required', () => {
  assert.match(refusal(''), /--size is required/);
  assert.match(refusal('   '), /--size is required/);
});

test('sizes display in the largest unit with at most two decimals', () => {
  assert.is(formatVolumeSize(10 * MiB), '10MB');
  assert.is(formatVolumeSize(1.5 * GiB), '1.5GB');
  assert.is(formatVolumeSize(1.25 * GiB), '1.25GB');
  assert.is(formatVolumeSize(1024 ** 4), '1TB');
  assert.is(formatVolumeSize(1155072), '1.1MB');
  assert.is(formatVolumeSize(4096), '4KB');
  assert.is(formatVolumeSize(100), '100B');
  // What is displayed parses back to the same size (as the user would type it again).
  for (const t of ['500MB', '1GB', '1.5GB', '10MB', '3TB']) assert.is(parseVolumeSize(formatVolumeSize(parseVolumeSize(t))), parseVolumeSize(t));
});

test.run();
