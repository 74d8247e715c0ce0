/**
 * Cloud detection from DMI (a fake /sys/class/dmi/id) and the opt-in instance-metadata lookup,
 * driven through an injected fetcher: nothing here touches the network.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cloudFromDmi, hypervisorOf, providerOf, readDmi } from '../../src/daemon/monitoring/cloud';
import { withInstanceMetadata, type Fetcher } from '../../src/daemon/monitoring/cloud-metadata';

function fakeDmi(fields: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'joblet-dmi-'));
  for (const [k, v] of Object.entries(fields)) fs.writeFileSync(path.join(dir, k), `${v}\n`);
  return dir;
}

test('DMI: AWS Nitro gives provider, instance type and id; serials are never read', () => {
  const dir = fakeDmi({ sys_vendor: 'Amazon EC2', product_name: 'm5.large', board_asset_tag: 'i-0abc123def4567890', product_serial: 'ec2-secret', bios_vendor: 'Amazon EC2' });
  try {
    const d = readDmi(dir);
    assert.not.ok('product_serial' in d);
    const c = cloudFromDmi(d, 'kvm-clock', 'fpu hypervisor');
    assert.is(c.provider, 'aws');
    assert.is(c.instanceType, 'm5.large');
    assert.is(c.instanceId, 'i-0abc123def4567890');
    assert.is(c.hypervisorType, 'nitro');
    assert.is(c.region, '', 'region is not in DMI');
    assert.is(c.metadata['dmi.sys_vendor'], 'Amazon EC2');
  } finally {
    fs.rmSync(dir, { recursive: true });
  }
});

test('DMI: providers and hypervisors are recognised; nothing is claimed without evidence', () => {
  assert.is(providerOf({ sys_vendor: 'Google', product_name: 'Google Compute Engine' }), 'gcp');
  assert.is(providerOf({ sys_vendor: 'Microsoft Corporation', product_name: 'Virtual Machine', chassis_asset_tag: '7783-7084-3265-9085-8269-3286-77' }), 'azure');
  assert.is(providerOf({ sys_vendor: 'Microsoft Corporation', product_name: 'Virtual Machine' }), undefined, 'plain Hyper-V is no cloud');
  assert.is(providerOf({ sys_vendor: 'Xen', bios_version: '4.11.amazon' }), 'aws');
  assert.is(providerOf({ sys_vendor: 'DigitalOcean', product_name: 'Droplet' }), 'digitalocean');
  assert.is(providerOf({ sys_vendor: 'QEMU', product_name: 'Standard PC (Q35 + ICH9, 2009)' }), undefined);
  assert.is(hypervisorOf({ sys_vendor: 'QEMU' }, '', ''), 'kvm');
  assert.is(hypervisorOf({ sys_vendor: 'VMware, Inc.' }, '', ''), 'vmware');
  assert.is(hypervisorOf({ sys_vendor: 'Microsoft Corporation', product_name: 'Virtual Machine' }, '', ''), 'hyperv');
  assert.is(hypervisorOf({}, 'kvm-clock', 'fpu hypervisor'), 'kvm', 'no DMI (Firecracker): the clock source tells');
  assert.is(hypervisorOf({}, 'tsc', 'fpu hypervisor'), '', 'virtualised, but unknown');
  assert.is(hypervisorOf({}, 'tsc', 'fpu sse'), 'none', 'bare metal');
  assert.equal(readDmi('/nonexistent/dmi'), {});
});

/** A fetcher that answers from a table and records every request. */
function fakeFetcher(answers: Record<string, string>): { get: Fetcher; calls: string[] } {
  const calls: string[] = [];
  const get: Fetcher = async ({ method, url, headers }) => {
    calls.push(`${method} ${url} ${JSON.stringify(headers)}`);
    const a = answers[`${method} ${url}`];
    if (a === undefined) throw new Error('HTTP 404');
    return a;
  };
  return { get, calls };
}

const base = (provider: string) => ({ provider, region: '', zone: '', instanceId: '', instanceType: '', hypervisorType: 'kvm', metadata: {} });

test('metadata (opt-in): AWS uses an IMDSv2 token for every lookup', async () => {
  const { get, calls } = fakeFetcher({
    'PUT http://169.254.169.254/latest/api/token': 'TOKEN',
    'GET http://169.254.169.254/latest/meta-data/placement/region': 'eu-west-1',
    'GET http://169.254.169.254/latest/meta-data/placement/availability-zone': 'eu-west-1b',
    'GET http://169.254.169.254/latest/meta-data/instance-type': 'm5.large',
    'GET http://169.254.169.254/latest/meta-data/instance-id': 'i-1',
  });
  const c = await withInstanceMetadata(base('aws'), get);
  assert.equal([c.region, c.zone, c.instanceType, c.instanceId], ['eu-west-1', 'eu-west-1b', 'm5.large', 'i-1']);
  assert.match(calls[0]!, /^PUT .*api\/token .*ttl-seconds/);
  for (const call of calls.slice(1)) assert.match(call, /"X-aws-ec2-metadata-token":"TOKEN"/);
});

test('metadata (opt-in): GCP zone paths become zone and region', async () => {
  const { get } = fakeFetcher({
    'GET http://169.254.169.254/computeMetadata/v1/instance/zone': 'projects/123/zones/europe-west1-b',
    'GET http://169.254.169.254/computeMetadata/v1/instance/machine-type': 'projects/123/machineTypes/e2-medium',
    'GET http://169.254.169.254/computeMetadata/v1/instance/id': '4242',
  });
  const c = await withInstanceMetadata(base('gcp'), get);
  assert.equal([c.region, c.zone, c.instanceType, c.instanceId], ['europe-west1', 'europe-west1-b', 'e2-medium', '4242']);
});

test('metadata: a failing service leaves DMI values and says why; no provider means no request at all', async () => {
  const { get } = fakeFetcher({});
  const c = await withInstanceMetadata(base('azure'), get);
  assert.is(c.region, '');
  assert.match(c.metadata['lookup.error']!, /HTTP 404/);
  const none = fakeFetcher({});
  assert.equal(await withInstanceMetadata(base(''), none.get), base(''));
  assert.equal(await withInstanceMetadata(base('hetzner'), none.get), base('hetzner'));
  assert.equal(none.calls, []);
});

test.run();
