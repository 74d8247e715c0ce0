/**
 * Several nodes in one client config, through the real rnx: `rnx nodes` and the default node
 * (isDefault), and `--node=a,b` / `--all-nodes` on list, status and monitor status against two
 * real daemons plus two addresses where nothing listens. A dead node is reported on stderr, one
 * line each, and never hides the others; only "no node answered" fails the command.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as yaml from 'js-yaml';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { exec, freePort, RNX, TestDaemon, type RunResult } from '../helpers/daemon';

let d1: TestDaemon;
let d2: TestDaemon;
let config: string;
let alphaJob: string;
let betaJob: string;

type NodeYaml = { address: string; cert: string; key: string; ca: string; isDefault?: boolean };

function nodeOf(d: TestDaemon): NodeYaml {
  const c = yaml.load(fs.readFileSync(d.rnxConfig, 'utf8')) as { nodes: Record<string, NodeYaml> };
  return Object.values(c.nodes)[0]!;
}

test.before(async () => {
  [d1, d2] = await Promise.all([TestDaemon.start(), TestDaemon.start()]);
  const alpha = nodeOf(d1);
  // Nothing listens on these: connection refused, at once.
  const [p1, p2] = [await freePort(), await freePort()];
  config = path.join(d1.dir, 'fleet.yml');
  fs.writeFileSync(
    config,
    yaml.dump({
      version: '3.0',
      nodes: {
        beta: nodeOf(d2),
        alpha: { ...alpha, isDefault: true },
        gone: { ...alpha, address: `127.0.0.1:${p1}` },
        down: { ...alpha, address: `127.0.0.1:${p2}` },
      },
    }),
  );
  alphaJob = await d1.run(['echo', 'on-alpha']);
  betaJob = await d2.run(['echo', 'on-beta']);
  await Promise.all([d1.waitDone(alphaJob), d2.waitDone(betaJob)]);
});
test.after(async () => {
  await Promise.all([d1?.destroy(), d2?.destroy()]);
});

function rnx(args: string[]): Promise<RunResult> {
  return exec(RNX, ['--config', config, ...args], { timeoutMs: 90000 });
}

/** The data rows of a table whose first column is NODE: [node, id]. */
function nodeRows(stdout: string): [string, string][] {
  const lines = stdout.trim().split('\n');
  assert.match(lines[0]!, /^NODE\s+ID\s+STATUS\s+START TIME\s+COMMAND$/, stdout);
  return lines.slice(2).map((l) => l.split(/\s+/).slice(0, 2) as [string, string]);
}

test('rnx nodes lists every node sorted, the isDefault one marked; without --node the default is used', async () => {
  const r = await rnx(['nodes']);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /^\* alpha$/m);
  assert.match(r.stdout, /^  beta$/m);
  assert.match(r.stdout, new RegExp(`Address: 127\\.0\\.0\\.1:${d2.port}`));
  const j = JSON.parse((await rnx(['nodes', '--json'])).stdout) as { name: string; default: boolean }[];
  assert.equal(j.map((n) => [n.name, n.default]), [['alpha', true], ['beta', false], ['down', false], ['gone', false]]);
  const plain = await rnx(['list']);
  assert.is(plain.code, 0, plain.stderr);
  assert.ok(plain.stdout.includes(alphaJob) && !plain.stdout.includes(betaJob), plain.stdout);
  assert.not.match(plain.stdout, /^NODE/, 'one node: no NODE column');
});

test('list --node=alpha,beta merges both nodes with a NODE column', async () => {
  const r = await rnx(['list', '--node=alpha,beta']);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stderr, '');
  const rows = nodeRows(r.stdout);
  assert.ok(rows.some(([n, id]) => n === 'alpha' && id === alphaJob), r.stdout);
  assert.ok(rows.some(([n, id]) => n === 'beta' && id === betaJob), r.stdout);
  assert.ok(rows.every(([n]) => n === 'alpha' || n === 'beta'));
});

test('list --all-nodes: dead nodes are reported one line each on stderr, the live ones still listed, exit 0', async () => {
  const r = await rnx(['list', '--all-nodes']);
  assert.is(r.code, 0, r.stderr);
  const rows = nodeRows(r.stdout);
  assert.ok(rows.some(([n, id]) => n === 'alpha' && id === alphaJob) && rows.some(([n, id]) => n === 'beta' && id === betaJob), r.stdout);
  const errs = r.stderr.trim().split('\n').sort();
  assert.is(errs.length, 2, r.stderr);
  assert.match(errs[0]!, /^rnx: node 'down': cannot reach joblet at 127\.0\.0\.1:\d+ .*connection refused/);
  assert.match(errs[1]!, /^rnx: node 'gone': cannot reach joblet at 127\.0\.0\.1:\d+ .*connection refused/);
  const j = await rnx(['list', '--all-nodes', '--json']);
  assert.is(j.code, 0, j.stderr);
  const jobs = JSON.parse(j.stdout) as { node: string; id: string; status: string }[];
  assert.ok(jobs.some((x) => x.node === 'alpha' && x.id === alphaJob && x.status === 'COMPLETED'), j.stdout);
  assert.ok(jobs.some((x) => x.node === 'beta' && x.id === betaJob), j.stdout);
  const limited = JSON.parse((await rnx(['list', '--node=alpha,beta', '--json', '--limit=1'])).stdout) as unknown[];
  assert.is(limited.length, 1, '--limit applies to the merged list');
});

test('only dead nodes: every one reported, exit 1', async () => {
  const r = await rnx(['list', '--node=gone,down']);
  assert.is(r.code, 1);
  assert.match(r.stderr, /node 'gone'/);
  assert.match(r.stderr, /node 'down'/);
  const m = await rnx(['monitor', 'status', '--node=gone,down', '--json']);
  assert.is(m.code, 1);
  assert.equal(JSON.parse(m.stdout), []);
});

test('status --all-nodes finds the job on the node that has it', async () => {
  const r = await rnx(['status', '--all-nodes', betaJob]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^Node: beta \\(127\\.0\\.0\\.1:${d2.port}\\)$`, 'm'));
  assert.match(r.stdout, new RegExp(`^Job ID:\\s+${betaJob}$`, 'm'));
  assert.match(r.stdout, /^Status:\s+COMPLETED$/m);
  assert.not.match(r.stdout, /Node: alpha/);
  assert.match(r.stderr, /node 'gone'/);
  const j = JSON.parse((await rnx(['status', '--node=alpha,beta', '--json', alphaJob])).stdout) as { node: string; id: string }[];
  assert.equal(j.map((x) => [x.node, x.id]), [['alpha', alphaJob]]);
  const missing = await rnx(['status', '--node=alpha,beta', '00000000-0000-4000-8000-000000000000']);
  assert.is(missing.code, 1);
  assert.match(missing.stderr, /job '00000000-0000-4000-8000-000000000000' not found on nodes alpha, beta/);
});

test('monitor status over nodes: one line per node, JSON messages with their node', async () => {
  const r = await rnx(['monitor', 'status', '--all-nodes']);
  assert.is(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.match(lines[0]!, /^NODE\s+ADDRESS\s+HOSTNAME\s+CPUS\s+CPU\s+LOAD\s+MEMORY\s+MEM\s+UPTIME\s+VERSION$/);
  assert.equal(lines.slice(2).map((l) => l.split(/\s+/)[0]), ['alpha', 'beta'], r.stdout);
  assert.match(lines[3]!, new RegExp(`^beta\\s+127\\.0\\.0\\.1:${d2.port}\\s`));
  assert.is(r.stderr.trim().split('\n').length, 2, r.stderr);
  const j = JSON.parse((await rnx(['monitor', 'status', '--node=alpha,beta', '--json'])).stdout) as { node: string; host: { cpuCount: number } }[];
  assert.equal(j.map((x) => x.node), ['alpha', 'beta']);
  assert.ok(j.every((x) => x.host.cpuCount > 0));
});

test('mistakes are refused before any traffic, naming the fix', async () => {
  const unknown = await rnx(['list', '--node=alpha,nope']);
  assert.is(unknown.code, 2);
  assert.match(unknown.stderr, /^rnx: node 'nope' not in .*fleet\.yml \(available: alpha, beta, down, gone\)$/m);
  const both = await rnx(['list', '--all-nodes', '--node=alpha']);
  assert.is(both.code, 2);
  assert.match(both.stderr, /--all-nodes and --node exclude each other/);
  const run = await rnx(['run', '--node=alpha,beta', 'true']);
  assert.is(run.code, 2);
  assert.match(run.stderr, /--node takes one node for 'rnx run'; several \(--node=a,b\) work with list, status and monitor status/);
});

test.run();
