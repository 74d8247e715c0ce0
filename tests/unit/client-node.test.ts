/**
 * The one Node version of the client executables (build/client-node.mjs): the rule that picks it
 * from the registry's versions per platform is deterministic and prefers the product's own Node;
 * the pin in build/client-node.json covers every shipped platform; a pin that lacks a platform
 * fails the build with a message that names the platform and what to run.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const ROOT = path.join(__dirname, '../..');

/** What the test uses of build/client-node.mjs (plain JavaScript, so typed here). */
interface ClientNodeModule {
  chooseClientNode(product: string, available: Record<string, string[]>): { version: string; why: string };
  validatePin(pin: unknown, ids: string[]): { version: string; platforms: Record<string, { name: string; integrity: string; version: string; bin: string }> };
  clientNode(ids?: string[]): { version: string; platforms: Record<string, { name: string; version: string; bin: string }> };
  PLATFORMS: Record<string, { packages: string[]; bin: string }>;
}
const load = () => import(path.join(ROOT, 'build', 'client-node.mjs')) as Promise<ClientNodeModule>;

const SHIPPED = ['linux-x64', 'linux-arm64', 'darwin-x64', 'darwin-arm64', 'win-x64'];

test('the rule takes the product\'s own Node when every platform has it', async () => {
  const { chooseClientNode } = await load();
  const c = chooseClientNode('24.21.0', { a: ['24.20.0', '24.21.0', '26.10.0'], b: ['24.21.0', '26.10.0'] });
  assert.is(c.version, '24.21.0');
});

test('else the newest of the product\'s major line that every platform has', async () => {
  const { chooseClientNode } = await load();
  const c = chooseClientNode('24.21.0', { a: ['24.9.0', '24.18.1', '24.21.0', '26.10.0'], b: ['24.18.1', '24.9.0', '26.10.0'] });
  // Numeric order: 24.18.1 is newer than 24.9.0.
  assert.is(c.version, '24.18.1');
  assert.match(c.why, /missing for b/);
});

test('else the newest later version every platform has, never an older line; pre-releases are ignored', async () => {
  const { chooseClientNode } = await load();
  // The registry today: no 24.x on every platform (darwin-arm64 has only 24.0.0, darwin-x64 up to 24.18.1).
  const c = chooseClientNode('24.21.0', {
    'linux-x64': ['22.23.2', '24.21.0', '26.10.0', '26.12.1', '27.0.0-rc.1'],
    'darwin-x64': ['22.23.2', '24.18.1', '26.10.0', '27.0.0-rc.1'],
    'darwin-arm64': ['22.23.2', '24.0.0', '26.10.0', '27.0.0-rc.1'],
  });
  assert.is(c.version, '26.10.0');
  assert.match(c.why, /missing for darwin-x64, darwin-arm64/);
  // The same input in another order gives the same answer.
  const again = chooseClientNode('24.21.0', {
    'darwin-arm64': ['26.10.0', '24.0.0', '22.23.2'],
    'linux-x64': ['26.12.1', '26.10.0', '24.21.0', '22.23.2'],
    'darwin-x64': ['26.10.0', '22.23.2', '24.18.1'],
  });
  assert.is(again.version, '26.10.0');
});

test('no version at or after the product\'s line on every platform: a clear failure', async () => {
  const { chooseClientNode } = await load();
  try {
    chooseClientNode('24.21.0', { a: ['22.23.2', '24.21.0'], b: ['22.23.2', '26.10.0'] });
    assert.unreachable('chose a version');
  } catch (err) {
    assert.match((err as Error).message, /no Node version 24\.x or later is on the npm registry for every platform \(a: newest 24\.21\.0; b: newest 26\.10\.0\)/);
  }
});

test('build/client-node.json pins one version for every shipped platform', async () => {
  const { clientNode, PLATFORMS } = await load();
  assert.equal(Object.keys(PLATFORMS).sort(), [...SHIPPED].sort());
  const pin = clientNode(SHIPPED);
  assert.match(pin.version, /^\d+\.\d+\.\d+$/);
  for (const id of SHIPPED) {
    assert.is(pin.platforms[id]!.version, pin.version, id);
    assert.ok(PLATFORMS[id]!.packages.includes(pin.platforms[id]!.name), `${id}: ${pin.platforms[id]!.name} is one of its packages`);
  }
  const json = JSON.parse(fs.readFileSync(path.join(ROOT, 'build', 'client-node.json'), 'utf8')) as { version: string };
  assert.is(pin.version, json.version);
});

test('a pin without a platform fails the build, naming the platform and what to run', async () => {
  const { validatePin } = await load();
  const pin = JSON.parse(fs.readFileSync(path.join(ROOT, 'build', 'client-node.json'), 'utf8')) as { version: string; platforms: Record<string, unknown> };
  delete pin.platforms['darwin-x64'];
  try {
    validatePin(pin, SHIPPED);
    assert.unreachable('accepted a pin without darwin-x64');
  } catch (err) {
    const msg = (err as Error).message;
    assert.match(msg, new RegExp(`Node ${pin.version.replace(/\./g, '\\.')} is not pinned for darwin-x64: every client executable is made from one Node version`));
    assert.match(msg, /node build\/client-node\.mjs/);
  }
  try {
    validatePin({ ...pin, version: 'latest' }, ['linux-x64']);
    assert.unreachable('accepted "latest"');
  } catch (err) {
    assert.match((err as Error).message, /"version" must be a Node version like 26\.10\.0/);
  }
});

test.run();
