import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatIPv4, parseCidr } from '../../src/shared/cidr';
import { JobletError } from '../../src/shared/errors';
import { AddressPool } from '../../src/daemon/network/pool';
import { rulesetScript } from '../../src/daemon/network/nftables';

test('a /30 has one job address after the gateway; a second allocation is refused', () => {
  const p = new AddressPool(parseCidr('10.0.0.4/30'));
  assert.is(formatIPv4(p.gateway), '10.0.0.5');
  assert.is(p.capacity, 1);
  assert.is(formatIPv4(p.allocate()), '10.0.0.6');
  try {
    p.allocate();
    assert.unreachable('allocated past the end');
  } catch (err) {
    assert.instance(err, JobletError);
    assert.is((err as JobletError).code, 'RESOURCE_EXHAUSTED');
    assert.match((err as Error).message, /10.0.0.4\/30 has no free address: all 1 are used/);
  }
});

test('addresses are unique, skip network, gateway and broadcast, and come back after release (next-fit)', () => {
  const p = new AddressPool(parseCidr('10.9.0.0/24'));
  const got = Array.from({ length: 253 }, () => p.allocate());
  assert.is(new Set(got).size, 253);
  const texts = got.map(formatIPv4);
  assert.is(texts[0], '10.9.0.2');
  assert.is(texts[252], '10.9.0.254');
  for (const bad of ['10.9.0.0', '10.9.0.1', '10.9.0.255']) assert.not.ok(texts.includes(bad));
  assert.throws(() => p.allocate(), /no free address/);
  p.release(got[10]!);
  p.release(got[5]!);
  assert.is(p.inUse, 251);
  // The cursor wrapped: the lowest free address comes first, then the next one.
  assert.is(formatIPv4(p.allocate()), '10.9.0.7');
  assert.is(formatIPv4(p.allocate()), '10.9.0.12');
});

test('a released address is not handed out again before the others', () => {
  const p = new AddressPool(parseCidr('10.9.0.0/28'));
  const a = p.allocate();
  p.release(a);
  assert.is.not(p.allocate(), a);
  assert.throws(() => p.release(a), /released but not in use/);
});

test('firewall script: one table, replaced atomically; isolated jobs never forwarded to each other', () => {
  const s = rulesetScript('joblet_t1', [
    { bridge: 'jbaaaaaaaaaaa', cidr: parseCidr('10.1.0.0/24'), isolated: false },
    { bridge: 'jbbbbbbbbbbbb', cidr: parseCidr('10.2.0.0/24'), isolated: true },
  ]);
  assert.ok(s.startsWith('table inet joblet_t1 {}\ndelete table inet joblet_t1\ntable inet joblet_t1 {'));
  assert.not.match(s, /flush|table ip |table inet (?!joblet_t1)/);
  assert.match(s, /iifname "jbaaaaaaaaaaa" oifname "jbaaaaaaaaaaa" accept/);
  assert.not.match(s, /iifname "jbbbbbbbbbbbb" oifname "jbbbbbbbbbbbb" accept/);
  assert.match(s, /iifname @bridges oifname @bridges drop/);
  assert.match(s, /chain input \{[^}]*iifname @bridges drop/);
  assert.match(s, /ip daddr 169\.254\.0\.0\/16 drop/);
  assert.match(s, /oifname != @bridges ip saddr @subnets masquerade/);
  assert.match(s, /elements = \{ 10\.1\.0\.0\/24, 10\.2\.0\.0\/24 \}/);
});

test.run();
