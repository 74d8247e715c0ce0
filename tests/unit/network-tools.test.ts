import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ConfigError, FailedPreconditionError, JobletError } from '../../src/shared/errors';
import { NetworkManager } from '../../src/daemon/network/manager';
import { HostTools } from '../../src/daemon/network/tools';

let dir: string;
test.before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'joblet-tools-'));
});
test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

function fakeTool(name: string): void {
  fs.writeFileSync(path.join(dir, name), '#!/bin/sh\n', { mode: 0o755 });
}

function manager(tools: HostTools | JobletError, defaultMode: 'bridge' | 'none') {
  const warnings: string[] = [];
  const table = { list: () => [{ name: 'web', cidr: '10.7.0.0/24', bridge: 'x', createdAt: 1 }], put() {}, get() {}, delete() {} };
  const m = new NetworkManager({ instance: 't', defaultMode, bridgeCidr: '10.8.0.0/24', isolatedCidr: '10.9.0.0/24', mtu: 0 }, { tools, table: table as never, log: { info() {}, warn: (w) => warnings.push(w) } });
  return { m, warnings };
}

test('missing ip and nft: the error names both and the packages to install', () => {
  const r = HostTools.locate([dir]);
  assert.instance(r, JobletError);
  assert.is((r as JobletError).message, "job networks need 'ip' and 'nft', which are not installed on this server (apt-get install iproute2 nftables)");
  fakeTool('ip');
  assert.is((HostTools.locate([dir]) as JobletError).message, "job networks need 'nft', which is not installed on this server (apt-get install nftables)");
  fakeTool('nft');
  assert.instance(HostTools.locate([dir]), HostTools);
});

test('without the tools a daemon whose default mode needs them refuses to start', async () => {
  const missing = HostTools.locate([path.join(dir, 'nothing-here')]) as JobletError;
  try {
    await manager(missing, 'bridge').m.start();
    assert.unreachable('started');
  } catch (err) {
    assert.instance(err, ConfigError);
    assert.match((err as Error).message, /^network\.defaultMode is 'bridge', but job networks need 'ip' and 'nft'.*apt-get install iproute2 nftables.*or set network\.defaultMode: none/);
  }
});

test('without the tools and default none: jobs run on none; every other network says why it is unavailable', async () => {
  const missing = HostTools.locate([path.join(dir, 'nothing-here')]) as JobletError;
  const { m, warnings } = manager(missing, 'none');
  await m.start();
  assert.match(warnings.join('\n'), /networks other than 'none' are unavailable: job networks need/);
  assert.is(m.resolve(''), 'none');
  for (const name of ['bridge', 'isolated', 'web']) {
    assert.throws(() => m.resolve(name), (e: Error) => e instanceof FailedPreconditionError && /is not available on this server: job networks need 'ip' and 'nft'/.test(e.message));
  }
  assert.throws(() => m.create('other', '10.6.0.0/24'), (e: Error) => e instanceof FailedPreconditionError && /apt-get install/.test(e.message));
  assert.equal(m.list().map((n) => [n.name, n.cidr, n.builtin]), [['none', '', true], ['isolated', '10.9.0.0/24', true], ['bridge', '10.8.0.0/24', true], ['web', '10.7.0.0/24', false]]);
  const job = await m.acquire({ id: '3f2a9c1e-1111-4222-8333-444455556666', network: 'none' } as never);
  assert.is(job.spec, undefined, 'none needs no prepared namespace: the sandbox makes an empty one');
  assert.is(m.list()[0]!.jobCount, 1);
  await job.release();
  assert.is(m.list()[0]!.jobCount, 0);
});

test.run();
