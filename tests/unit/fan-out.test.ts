/** Which nodes `--node=a,b` and `--all-nodes` ask, the mistakes refused before any traffic, and the exit rule. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { UsageError } from '../../src/cli/base';
import { fanOutExit, fanOutNodes } from '../../src/cli/fan-out';
import { ConfigError } from '../../src/shared/errors';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'joblet-fanout-'));
const configPath = path.join(dir, 'rnx-config.yml');
fs.writeFileSync(configPath, 'nodes:\n  b: { address: "10.0.0.2:50051" }\n  a: { address: "10.0.0.1:50051", isDefault: true }\n  c: { address: "10.0.0.3" }\n');
const env = {};
test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('one node (or none given) is the ordinary single-node case', () => {
  assert.is(fanOutNodes({ allNodes: false, configPath, env }), undefined);
  assert.is(fanOutNodes({ node: 'b', allNodes: false, configPath, env }), undefined);
});

test('--all-nodes takes every node, sorted; --node=a,b keeps the order given, once each', () => {
  assert.equal(fanOutNodes({ allNodes: true, configPath, env }), ['a', 'b', 'c']);
  assert.equal(fanOutNodes({ node: 'c,a,c', allNodes: false, configPath, env }), ['c', 'a']);
  assert.equal(fanOutNodes({ node: ' b , a', allNodes: false, configPath, env }), ['b', 'a']);
});

test('mistakes are refused naming the fix', () => {
  assert.throws(() => fanOutNodes({ node: 'a', allNodes: true, configPath, env }), (e: unknown) => e instanceof UsageError && /exclude each other/.test(e.message));
  assert.throws(() => fanOutNodes({ node: 'a,', allNodes: false, configPath, env }), (e: unknown) => e instanceof UsageError && /empty name/.test(e.message));
  assert.throws(
    () => fanOutNodes({ node: 'a,x,y', allNodes: false, configPath, env }),
    (e: unknown) => e instanceof ConfigError && e.message === `nodes 'x', 'y' not in ${configPath} (available: a, b, c)`,
  );
});

test('exit code: 0 while any node answered, 1 when none did', () => {
  assert.is(fanOutExit([{ node: 'a', address: '', value: [] }, { node: 'b', address: '', error: new Error('down') }]), 0);
  assert.is(fanOutExit([{ node: 'a', address: '', error: new Error('down') }, { node: 'b', address: '', error: new Error('down') }]), 1);
});

test.run();
