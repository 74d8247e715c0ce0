import * as yaml from 'js-yaml';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { generateCa, issueServerCert, type CertAndKey } from '../../src/shared/certs';
import { parseServerConfig } from '../../src/shared/config/server';
import { ConfigError } from '../../src/shared/errors';

let ca: CertAndKey;
let server: CertAndKey;
test.before(async () => {
  ca = await generateCa();
  server = await issueServerCert(ca, []);
});

function config(network?: Record<string, unknown>): string {
  return yaml.dump({ version: '1', security: { serverCert: server.cert, serverKey: server.key, caCert: ca.cert }, ...(network ? { network } : {}) });
}

function problem(network: Record<string, unknown>): string {
  try {
    parseServerConfig(config(network), 'joblet-config.yml');
  } catch (err) {
    assert.instance(err, ConfigError);
    return (err as Error).message;
  }
  assert.unreachable('accepted');
  return '';
}

test('network defaults: bridge mode, 172.20.0.0/16 and 172.21.0.0/16, MTU of the route to the outside (0), two prepared attachments', () => {
  assert.equal(parseServerConfig(config(), 'x').network, { defaultMode: 'bridge', bridgeCidr: '172.20.0.0/16', isolatedCidr: '172.21.0.0/16', mtu: 0, warmLinks: 2 });
  assert.is(parseServerConfig(config({ mtu: 1400 }), 'x').network.mtu, 1400);
  assert.equal(parseServerConfig(config({ defaultMode: 'none', bridgeCidr: '10.5.0.0/24' }), 'x').network.defaultMode, 'none');
});

test('bad network settings name the key and the rule', () => {
  assert.is(problem({ defaultMode: 'host' }), 'joblet-config.yml: network.defaultMode: must be one of bridge, isolated, none (got "host")');
  assert.is(problem({ bridgeCidr: '10.5.0.1/24' }), 'joblet-config.yml: network.bridgeCidr: 10.5.0.1/24 has host bits set: the network address of that block is 10.5.0.0/24');
  assert.match(problem({ isolatedCidr: '127.0.0.0/16' }), /^joblet-config\.yml: network\.isolatedCidr: 127\.0\.0\.0\/16 overlaps loopback/);
  assert.match(problem({ bridgeCidr: '10.0.0.0/30', isolatedCidr: '10.0.0.0/24' }), /network\.isolatedCidr: overlaps network\.bridgeCidr \(10\.0\.0\.0\/30\)/);
  assert.is(problem({ bridge: '10.0.0.0/24' }), 'joblet-config.yml: network.bridge: unknown key (allowed: defaultMode, bridgeCidr, isolatedCidr, warmLinks, mtu)');
  assert.is(problem({ mtu: 100 }), "joblet-config.yml: network.mtu: must be 0 (the MTU of the host's route to the outside) or 576-65535 (got 100)");
  assert.is(problem({ mtu: 1400.5 }), 'joblet-config.yml: network.mtu: must be a whole number (got 1400.5)');
  assert.match(problem({ mtu: '1400' }), /^joblet-config\.yml: network\.mtu: must be a number/);
});

test.run();
