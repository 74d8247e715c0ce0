import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { InvalidArgumentError } from '../../src/shared/errors';
import { bridgeName, checkNetworkName, ifAlias, jobOfNetns, netnsName, nftTableName, vethName } from '../../src/daemon/network/names';

function refusal(name: string): string {
  try {
    checkNetworkName(name);
  } catch (err) {
    assert.instance(err, InvalidArgumentError);
    return (err as Error).message;
  }
  assert.unreachable(`'${name}' was accepted`);
  return '';
}

test('good names are accepted', () => {
  for (const ok of ['a', 'backend', 'web-tier-2', '0net', 'x'.repeat(32)]) checkNetworkName(ok);
});

test('bad names are refused with the rule', () => {
  assert.match(refusal(''), /a network name is required/);
  assert.match(refusal('x'.repeat(33)), /too long \(33 characters; at most 32\)/);
  for (const bad of ['Backend', 'back_end', 'back end', '-x', 'x-', 'a/b', '..', 'é']) assert.match(refusal(bad), /^invalid network name '.*': use a-z, 0-9 and -/, bad);
  for (const builtin of ['none', 'isolated', 'bridge']) assert.match(refusal(builtin), /^invalid network name '.*': reserved for the built-in network/);
});

test('interface names fit IFNAMSIZ, depend on the instance and never equal each other', () => {
  const names = new Set<string>();
  for (const inst of ['joblet', 'joblet2', 'a-b-c-d-e-f-g']) {
    for (const n of ['bridge', 'isolated', 'x'.repeat(32)]) names.add(bridgeName(inst, n));
    names.add(vethName(inst, '3f2a9c1e-0000-4000-8000-000000000000'));
  }
  assert.is(names.size, 12);
  for (const n of names) {
    assert.ok(n.length <= 15, n);
    assert.match(n, /^j[bv][0-9a-f]{11}$/);
  }
  assert.is(bridgeName('joblet', 'bridge'), bridgeName('joblet', 'bridge'));
});

test('namespace names map back to their job only for this instance', () => {
  const id = '3f2a9c1e-1111-4222-8333-444455556666';
  assert.is(jobOfNetns('a', netnsName('a', id)), id);
  assert.is(jobOfNetns('a', netnsName('a-b', id)), undefined);
  assert.is(jobOfNetns('a-b', netnsName('a', id)), undefined);
  assert.is(jobOfNetns('a', 'joblet_a_../etc'), undefined);
  assert.is(ifAlias('a', 'job', id), `joblet/a/job/${id}`);
  assert.is(nftTableName('t-1'), 'joblet_t_1');
});

test.run();
