/** The MTU of job networks: network.mtu, else the smaller of the default route's mtu and its device's. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chooseMtu } from '../../src/daemon/network/mtu';
import type { HostTools } from '../../src/daemon/network/tools';

/** Tools that answer `ip -j` from tables, recording what was asked. */
function fakeTools(routes: unknown[], links: Record<string, number>): { tools: HostTools; asked: string[] } {
  const asked: string[] = [];
  const tools = {
    ipJson: async (args: string[]) => {
      asked.push(args.join(' '));
      if (args.join(' ') === '-4 route show default') return routes;
      if (args[0] === 'link' && args[2] === 'dev') return args[3]! in links ? [{ ifname: args[3], mtu: links[args[3]!] }] : [];
      throw new Error(`unexpected ip ${args.join(' ')}`);
    },
  };
  return { tools: tools as unknown as HostTools, asked };
}

test('network.mtu wins, without asking the host', async () => {
  const { tools, asked } = fakeTools([], {});
  assert.equal(await chooseMtu(tools, 1280), { mtu: 1280, source: 'network.mtu' });
  assert.equal(asked, []);
});

test("the device of the default route gives its MTU (a cloud uplink of 1400)", async () => {
  const { tools } = fakeTools([{ dst: 'default', gateway: '10.0.0.1', dev: 'eth0' }], { eth0: 1400 });
  assert.equal(await chooseMtu(tools, 0), { mtu: 1400, source: "the host's route to the outside (eth0)" });
});

test("a route's own mtu metric counts when smaller; the default route with the lowest metric is the one used", async () => {
  const routes = [
    { dst: 'default', dev: 'wg0', metric: 600 },
    { dst: 'default', dev: 'eth0', metric: 100, metrics: [{ mtu: 1300 }] },
  ];
  const { tools } = fakeTools(routes, { eth0: 1500, wg0: 1280 });
  assert.equal(await chooseMtu(tools, 0), { mtu: 1300, source: "the host's route to the outside (the default route)" });
});

test('a multipath default route takes the smallest MTU of its devices', async () => {
  const { tools } = fakeTools([{ dst: 'default', nexthops: [{ dev: 'eth0' }, { dev: 'eth1' }] }], { eth0: 9000, eth1: 1450 });
  assert.is((await chooseMtu(tools, 0)).mtu, 1450);
});

test('no default route: 1500, and the log says why', async () => {
  const { tools } = fakeTools([], {});
  assert.equal(await chooseMtu(tools, 0), { mtu: 1500, source: 'no default route on the host' });
});

test.run();
