import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cidrText, contains, formatIPv4, overlaps, parseCidr, parseIPv4, parseNetworkCidr } from '../../src/shared/cidr';
import { InvalidArgumentError } from '../../src/shared/errors';

function refusal(text: string): string {
  try {
    parseNetworkCidr(text);
  } catch (err) {
    assert.instance(err, InvalidArgumentError);
    return (err as Error).message;
  }
  assert.unreachable(`${text} was accepted`);
  return '';
}

test('dotted quads parse strictly and format back', () => {
  assert.is(parseIPv4('10.0.0.1'), 0x0a000001);
  assert.is(parseIPv4('255.255.255.255'), 0xffffffff);
  assert.is(formatIPv4(0xc0a80101), '192.168.1.1');
  for (const bad of ['10.0.0', '10.0.0.256', '10.0.0.01', '1.2.3.4.5', 'a.b.c.d', '', '10..0.1', ' 10.0.0.1']) assert.is(parseIPv4(bad), undefined, bad);
});

test('valid network blocks are accepted and normalized', () => {
  assert.equal(parseNetworkCidr('10.10.0.0/24'), { base: 0x0a0a0000, prefix: 24 });
  assert.is(cidrText(parseNetworkCidr(' 172.20.0.0/16 ')), '172.20.0.0/16');
  assert.is(cidrText(parseNetworkCidr('10.0.0.0/8')), '10.0.0.0/8');
  assert.is(cidrText(parseNetworkCidr('192.168.5.4/30')), '192.168.5.4/30');
});

test('syntax errors say how to write a block', () => {
  for (const bad of ['10.10.0.0', '10.10.0.0/', '10.10.0.0/33', 'ten/8', '10.10.0.0/24/1', '::1/64', '10.10.0.0/-1', '']) {
    assert.match(refusal(bad), /is not an IPv4 block: write ADDRESS\/PREFIX, e.g. 10.10.0.0\/24/, bad);
  }
});

test('host bits set: refused, naming the block that was probably meant', () => {
  assert.is(refusal('10.1.2.3/16'), 'CIDR 10.1.2.3/16 has host bits set: the network address of that block is 10.1.0.0/16');
});

test('too small, too large and reserved ranges are refused', () => {
  assert.match(refusal('10.0.0.0/31'), /too small: a network needs at least a \/30/);
  assert.match(refusal('10.0.0.0/32'), /too small/);
  assert.match(refusal('0.0.0.0/0'), /too large: at most a \/8/);
  assert.match(refusal('10.0.0.0/7'), /too large/);
  assert.match(refusal('127.1.0.0/16'), /overlaps loopback/);
  assert.match(refusal('169.254.169.252/30'), /overlaps link-local, where cloud metadata lives/);
  assert.match(refusal('224.1.0.0/16'), /overlaps multicast/);
  assert.match(refusal('240.0.0.0/8'), /overlaps reserved and broadcast/);
  assert.match(refusal('0.1.0.0/16'), /overlaps "this network"/);
});

test('overlap and containment', () => {
  const a = parseCidr('10.0.0.0/16');
  assert.ok(overlaps(a, parseCidr('10.0.5.0/24')));
  assert.ok(overlaps(parseCidr('10.0.5.0/24'), a));
  assert.ok(overlaps(a, parseCidr('8.0.0.0/6')));
  assert.not.ok(overlaps(a, parseCidr('10.1.0.0/16')));
  assert.ok(contains(a, parseIPv4('10.0.255.255')!));
  assert.not.ok(contains(a, parseIPv4('10.1.0.0')!));
});

test.run();
