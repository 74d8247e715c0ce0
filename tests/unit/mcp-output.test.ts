/** MCP output tails: only the last N bytes of a stream are kept, and the note says what was cut. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { OutputTails, TailBuffer } from '../../src/mcp/output';

test('keeps the last max bytes across pieces and counts them all', () => {
  const t = new TailBuffer(10);
  for (const s of ['0123', '4567', '89ab', 'cdef']) t.push(Buffer.from(s));
  assert.is(t.text(), '6789abcdef');
  assert.is(t.total, 16);
  assert.ok(t.truncated);
  const small = new TailBuffer(10);
  small.push(Buffer.from('hello'));
  assert.is(small.text(), 'hello');
  assert.not.ok(small.truncated);
});

test('a piece larger than the buffer is cut on the way in', () => {
  const t = new TailBuffer(4);
  t.push(Buffer.alloc(1 << 20, 'x'));
  t.push(Buffer.from('yz'));
  assert.is(t.text(), 'xxyz');
  assert.is(t.total, (1 << 20) + 2);
});

test('a character cut in half at the start is dropped, not shown as garbage', () => {
  const t = new TailBuffer(5);
  t.push(Buffer.from('ééé')); // 6 bytes: the first é loses its first byte
  assert.is(t.text(), 'éé');
});

test('stdout and stderr apart; notices go with stderr; the note names what was cut', () => {
  const o = new OutputTails(4);
  o.add({ payload: Buffer.from('out-long'), stream: 1, offset: 0 });
  o.add({ payload: Buffer.from('er'), stream: 2, offset: 8 });
  o.add({ payload: Buffer.from('!'), stream: 3, offset: 10 });
  assert.is(o.stdout.text(), 'long');
  assert.is(o.stderr.text(), 'er!');
  assert.is(o.note('ask for more'), 'stdout: showing the last 4 of 8 bytes (ask for more)');
  assert.is(new OutputTails(4).note('x'), '');
});

test.run();
