/**
 * `rnx mcp` driven by the MCP SDK's own client over stdio, against a real daemon: the tools are
 * listed with their schemas, a job runs and its exit code and output come back (bounded, with a
 * note when cut), logs are read, errors are the CLI's one-line messages, and a viewer node's
 * write tools are refused while its read tools work.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RNX, ROOT, TestDaemon } from '../helpers/daemon';

let d: TestDaemon;
let admin: Client;
let viewer: Client;

/** Start `rnx mcp` for a node and connect the SDK's client to it. */
async function connect(node: string): Promise<Client> {
  const transport = new StdioClientTransport({ command: RNX, args: ['--config', d.rnxConfig, 'mcp', '--node', node], stderr: 'inherit' });
  const client = new Client({ name: 'joblet-test', version: '1.0.0' });
  await client.connect(transport);
  return client;
}

type ToolAnswer = { isError?: boolean; content: { type: string; text: string }[] };

async function call(c: Client, name: string, args: Record<string, unknown> = {}): Promise<ToolAnswer> {
  return (await c.callTool({ name, arguments: args }, undefined, { timeout: 120_000 })) as ToolAnswer;
}

/** The JSON of a successful answer. */
async function json<T>(c: Client, name: string, args: Record<string, unknown> = {}): Promise<T> {
  const r = await call(c, name, args);
  assert.not.ok(r.isError, `${name} failed: ${r.content[0]?.text}`);
  return JSON.parse(r.content[0]!.text) as T;
}

test.before(async () => {
  d = await TestDaemon.start();
  admin = await connect('default');
  viewer = await connect('viewer');
});

test.after(async () => {
  await admin?.close();
  await viewer?.close();
  await d?.destroy();
});

test('the tools are listed with the original names, zod schemas and hints', async () => {
  const { tools } = await admin.listTools();
  const names = tools.map((t) => t.name).sort();
  assert.equal(names, [
    'joblet_cancel_job', 'joblet_create_network', 'joblet_create_volume', 'joblet_delete_all_jobs', 'joblet_delete_job', 'joblet_get_job_logs', 'joblet_get_job_metrics',
    'joblet_get_job_status', 'joblet_get_runtime_info', 'joblet_get_system_status', 'joblet_get_workflow_status', 'joblet_list_jobs', 'joblet_list_networks', 'joblet_list_nodes',
    'joblet_list_runtimes', 'joblet_list_volumes', 'joblet_remove_network', 'joblet_remove_volume', 'joblet_run_job', 'joblet_run_workflow', 'joblet_stop_job',
    'joblet_validate_runtime',
  ]);
  const run = tools.find((t) => t.name === 'joblet_run_job')!;
  assert.equal(run.inputSchema.required, ['command']);
  const props = run.inputSchema.properties as Record<string, { type?: string }>;
  assert.is(props.wait!.type, 'boolean');
  assert.is(props.max_memory!.type, 'integer');
  assert.is(props.runtime!.type, 'string');
  assert.equal(tools.find((t) => t.name === 'joblet_get_runtime_info')!.inputSchema.required, ['runtime']);
  assert.is(tools.find((t) => t.name === 'joblet_list_runtimes')!.annotations?.readOnlyHint, true);
  assert.is(tools.find((t) => t.name === 'joblet_list_jobs')!.annotations?.readOnlyHint, true);
  assert.is(tools.find((t) => t.name === 'joblet_delete_job')!.annotations?.destructiveHint, true);
});

test('run with wait: exit code, stdout and stderr apart; without wait: the job', async () => {
  const done = await json<{ id: string; status: string; exitCode: number; stdout: string; stderr: string; failureReason: string; note?: string }>(admin, 'joblet_run_job', {
    command: 'sh',
    args: ['-c', 'echo "hi $WHO"; cat in.txt; echo oops >&2; exit 3'],
    env: { WHO: 'agent' },
    uploads: [{ path: 'in.txt', content: 'uploaded\n' }],
    max_memory: 64,
    wait: true,
  });
  assert.is(done.status, 'FAILED');
  assert.is(done.exitCode, 3);
  assert.is(done.stdout, 'hi agent\nuploaded\n');
  assert.is(done.stderr, 'oops\n');
  assert.is(done.failureReason, 'exited with code 3');
  assert.is(done.note, undefined);
  // The job is the one rnx sees.
  const cli = JSON.parse((await d.rnx(['--json', 'status', done.id])).stdout) as { exitCode: number; limits: { memoryBytes: number }; uploads: string[] };
  assert.is(cli.exitCode, 3);
  assert.is(cli.limits.memoryBytes, 64 * 1024 * 1024);
  assert.equal(cli.uploads, ['in.txt']);

  const started = await json<{ id: string; status: string }>(admin, 'joblet_run_job', { command: 'sleep', args: ['300'] });
  assert.match(started.id, /^[0-9a-f-]{36}$/);
  assert.ok(['INITIALIZING', 'RUNNING'].includes(started.status), started.status);
  const status = await json<{ id: string; status: string }>(admin, 'joblet_get_job_status', { job_id: started.id.slice(0, 8) });
  assert.is(status.id, started.id);
  const stopped = await json<{ status: string }>(admin, 'joblet_stop_job', { job_id: started.id });
  assert.is(stopped.status, 'STOPPED');
  const list = await json<{ jobs: { id: string }[]; count: number; next_cursor: string | null }>(admin, 'joblet_list_jobs', { status: 'stopped' });
  assert.equal(list.jobs.map((j) => j.id), [started.id]);
  assert.equal([list.count, list.next_cursor], [1, null]);
  const deleted = await json<{ deleted: boolean }>(admin, 'joblet_delete_job', { job_id: started.id });
  assert.ok(deleted.deleted);
});

test('long output is tail-truncated with a note; logs are read whole, by stream or bounded', async () => {
  // 200000 bytes of numbered lines on stdout; one line on stderr.
  const script = 'i=0; while [ $i -lt 20000 ]; do printf "line %05d\\n" $i; i=$((i+1)); done; echo bye >&2';
  const r = await json<{ id: string; exitCode: number; stdout: string; stderr: string; note: string }>(admin, 'joblet_run_job', { command: 'sh', args: ['-c', script], wait: true, max_output_bytes: 1100 });
  assert.is(r.exitCode, 0);
  assert.is(r.stdout.length, 1100);
  assert.ok(r.stdout.endsWith('line 19999\n'), r.stdout.slice(-40));
  assert.is(r.stderr, 'bye\n');
  assert.is(r.note, 'stdout: showing the last 1100 of 220000 bytes (use joblet_get_job_logs with a larger max_bytes for more)');

  const logs = await call(admin, 'joblet_get_job_logs', { job_id: r.id, stream: 'stderr' });
  assert.is(logs.content[0]!.text, 'bye\n');
  const tail = await call(admin, 'joblet_get_job_logs', { job_id: r.id, stream: 'stdout', max_bytes: 22 });
  assert.is(tail.content[0]!.text, '[showing the last 22 of 220000 bytes; raise max_bytes for more]\nline 19998\nline 19999\n');
  const whole = await call(admin, 'joblet_get_job_logs', { job_id: r.id, max_bytes: 1048576 });
  const cli = await d.rnx(['log', r.id]);
  // Both streams, in the order the daemon stored them: stderr's one line may sit anywhere among
  // stdout's chunks (two pipes, read as they fill), and taking it out leaves stdout exactly.
  const text = whole.content[0]!.text as string;
  assert.is(cli.stderr, 'bye\n');
  assert.ok(text.includes('bye\n'), 'stderr is in the whole log');
  assert.is(text.replace('bye\n', ''), cli.stdout);
  // follow waits for a running job's end.
  const slow = await json<{ id: string }>(admin, 'joblet_run_job', { command: 'sh', args: ['-c', 'echo start; sleep 1; echo end'] });
  const followed = await call(admin, 'joblet_get_job_logs', { job_id: slow.id, follow: true });
  assert.is(followed.content[0]!.text, 'start\nend\n');
});

test('errors are tool errors with the one-line messages rnx prints', async () => {
  const missing = '00000000-0000-4000-8000-000000000000';
  const tool = await call(admin, 'joblet_get_job_status', { job_id: missing });
  const cli = await d.rnx(['status', missing]);
  assert.ok(tool.isError);
  assert.is(`rnx: ${tool.content[0]!.text}\n`, cli.stderr);
  const bad = await call(admin, 'joblet_run_job', { command: 'echo', max_memory: 1 });
  assert.ok(bad.isError);
  assert.is(bad.content[0]!.text, 'max_memory: 1 is out of range; allowed: 4-4194304 MB');
  const vol = await call(admin, 'joblet_create_volume', { name: '../etc', size: '1GB' });
  assert.ok(vol.isError);
  assert.match(vol.content[0]!.text, /^invalid volume name '\.\.\/etc': /);
});

test('volumes and networks: created, listed, removed', async () => {
  const v = await json<{ name: string; type: string }>(admin, 'joblet_create_volume', { name: 'mcpvol', size: '16MB', type: 'memory' });
  assert.equal([v.name, v.type], ['mcpvol', 'memory']);
  assert.equal((await json<{ name: string }[]>(admin, 'joblet_list_volumes')).map((x) => x.name), ['mcpvol']);
  const used = await json<{ stdout: string }>(admin, 'joblet_run_job', { command: 'sh', args: ['-c', 'echo kept > /volumes/mcpvol/f && cat /volumes/mcpvol/f'], volumes: ['mcpvol'], wait: true });
  assert.is(used.stdout, 'kept\n');
  assert.equal(await json(admin, 'joblet_remove_volume', { name: 'mcpvol' }), { name: 'mcpvol', removed: true });
  assert.equal(await json(admin, 'joblet_list_volumes'), []);
  const nets = await json<{ name: string; builtin: boolean }[]>(admin, 'joblet_list_networks');
  assert.equal(nets.filter((n) => n.builtin).map((n) => n.name).sort(), ['bridge', 'isolated', 'none']);
  const nodes = await json<{ name: string; role: string; current: boolean }[]>(viewer, 'joblet_list_nodes');
  assert.equal(nodes.map((n) => [n.name, n.role, n.current]), [['default', 'admin', false], ['viewer', 'viewer', true]]);
});

test('runtimes: listed and described as rnx prints them; a runtime.yaml checked by line; a job asking for one not installed is refused', async () => {
  const listed = await json<{ name: string; status: string; aliases: string[] }[]>(viewer, 'joblet_list_runtimes');
  assert.equal(listed, JSON.parse((await d.rnx(['runtime', 'list', '--json'])).stdout));
  assert.ok(listed.some((r) => r.name === 'python-3.11-ml' && r.status === 'available' && r.aliases.includes('python:3.11-ml')), JSON.stringify(listed));
  const info = await json<{ name: string; language: string; packages: string[]; installedPackages: unknown[] }>(viewer, 'joblet_get_runtime_info', { runtime: 'java:17' });
  assert.equal(info, JSON.parse((await d.rnx(['runtime', 'info', '--json', 'java:17'])).stdout));
  assert.equal([info.name, info.language], ['openjdk-17', 'java']);
  assert.ok(info.packages.some((p) => p.startsWith('openjdk-17-jdk-headless')), info.packages.join(' '));
  const unknown = await call(viewer, 'joblet_get_runtime_info', { runtime: 'ruby:3' });
  assert.ok(unknown.isError);
  assert.is(unknown.content[0]!.text, "runtime 'ruby:3' not found (see joblet_list_runtimes)");
  const spec = 'schema_version: "1.0"\nname: ../escape\nversion: 1.0.0\ncolour: red\ndescription: d\nbase: { language: python, version: "3.11" }\n';
  const bad = await json<{ valid: boolean; errors: string[] }>(viewer, 'joblet_validate_runtime', { runtime_spec: spec });
  assert.is(bad.valid, false);
  assert.equal(bad.errors.map((e) => /^line \d+/.exec(e)?.[0]), ['line 2', 'line 4'], bad.errors.join('; '));
  const good = await json<{ valid: boolean; spec: { name: string } }>(viewer, 'joblet_validate_runtime', { runtime_spec: spec.replace('../escape', 'tools').replace('colour: red\n', '') });
  assert.equal([good.valid, good.spec.name], [true, 'tools']);
  const jobCount = async () => (await json<{ count: number }>(admin, 'joblet_list_jobs', { limit: 500 })).count;
  const before = await jobCount();
  const refused = await call(admin, 'joblet_run_job', { command: 'python3', args: ['-V'], runtime: 'python:3.11-ml' });
  assert.ok(refused.isError);
  const cli = await d.rnx(['run', '--runtime=python:3.11-ml', 'python3', '-V']);
  assert.is(`rnx: ${refused.content[0]!.text}\n`, cli.stderr);
  assert.match(refused.content[0]!.text, /^runtime 'python:3\.11-ml' \(python-3\.11-ml\) is not installed/);
  assert.is(await jobCount(), before, 'no job was created');
});

test("a viewer node's write tools are refused by the server; its read tools work", async () => {
  const job = await d.run(['echo', 'seen']);
  await d.waitDone(job);
  const refusal = (rpc: string) => `role 'viewer' may not call ${rpc}: it is read-only; use an admin certificate`;
  const writes: [string, Record<string, unknown>, string][] = [
    ['joblet_run_job', { command: 'touch', args: ['/work/x'] }, 'RunJob'],
    ['joblet_run_job', { command: 'cat', args: ['f'], uploads: [{ path: 'f', content: 'x' }] }, 'RunJobStreaming'],
    ['joblet_stop_job', { job_id: job }, 'StopJob'],
    ['joblet_delete_job', { job_id: job }, 'DeleteJob'],
    ['joblet_cancel_job', { job_id: job }, 'CancelJob'],
    ['joblet_run_workflow', { yaml: 'jobs: {a: {command: echo}}' }, 'RunWorkflow'],
    ['joblet_delete_all_jobs', {}, 'DeleteAllJobs'],
    ['joblet_create_volume', { name: 'v', size: '16MB' }, 'CreateVolume'],
    ['joblet_remove_volume', { name: 'v' }, 'RemoveVolume'],
    ['joblet_create_network', { name: 'n', cidr: '10.99.0.0/24' }, 'CreateNetwork'],
    ['joblet_remove_network', { name: 'n' }, 'RemoveNetwork'],
  ];
  for (const [name, args, rpc] of writes) {
    const r = await call(viewer, name, args);
    assert.ok(r.isError, name);
    assert.is(r.content[0]!.text, refusal(rpc), name);
  }
  const status = await json<{ status: string }>(viewer, 'joblet_get_job_status', { job_id: job });
  assert.is(status.status, 'COMPLETED');
  assert.is((await call(viewer, 'joblet_get_job_logs', { job_id: job })).content[0]!.text, 'seen\n');
  assert.ok((await json<{ count: number }>(viewer, 'joblet_list_jobs')).count >= 1);
  assert.ok((await json<{ host: { hostname: string } }>(viewer, 'joblet_get_system_status')).host.hostname);
});

test('the job list pages through the server with a cursor, filtered by state as rnx list filters', async () => {
  type Page = { jobs: { id: string; status: string }[]; count: number; next_cursor: string | null };
  for (let i = 0; i < 7; i++) await d.waitDone(await d.run(['echo', `page-${i}`]));
  const failed = await d.run(['sh', '-c', 'exit 4']);
  await d.waitDone(failed);
  // Every job, three at a time, newest first: the pages join up to what rnx list shows, oldest first.
  const all = (JSON.parse((await d.rnx(['--json', 'list'])).stdout) as { id: string }[]).map((j) => j.id);
  assert.ok(all.length > 9, `${all.length} jobs`);
  const seen: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await json<Page>(viewer, 'joblet_list_jobs', { limit: 3, ...(cursor ? { cursor } : {}) });
    assert.ok(page.count <= 3 && page.count === page.jobs.length, JSON.stringify(page));
    if (page.next_cursor) assert.is(page.count, 3, 'only the last page is short');
    seen.push(...page.jobs.map((j) => j.id));
    cursor = page.next_cursor ?? undefined;
    pages++;
  } while (cursor);
  assert.is(pages, Math.ceil(all.length / 3));
  assert.equal(seen, [...all].reverse());
  // The server filters before it pages: two completed jobs a page, only completed ones.
  const completed = (JSON.parse((await d.rnx(['--json', 'list', '--status=completed'])).stdout) as { id: string }[]).map((j) => j.id).reverse();
  const first = await json<Page>(admin, 'joblet_list_jobs', { status: 'completed', limit: 2 });
  const second = await json<Page>(admin, 'joblet_list_jobs', { status: 'completed', limit: 2, cursor: first.next_cursor });
  assert.equal([...first.jobs, ...second.jobs].map((j) => j.id), completed.slice(0, 4));
  assert.ok([...first.jobs, ...second.jobs].every((j) => j.status === 'COMPLETED'));
  assert.equal((await json<Page>(admin, 'joblet_list_jobs', { status: 'failed', since: '1h' })).jobs.map((j) => j.id).includes(failed), true);
  // The text filter narrows a page; bad filters are refused with rnx list's and the server's messages.
  assert.equal((await json<Page>(admin, 'joblet_list_jobs', { query: 'page-3', limit: 500 })).jobs.length, 1);
  const since = await call(admin, 'joblet_list_jobs', { since: 'soon' });
  assert.ok(since.isError);
  assert.is(`rnx: ${since.content[0]!.text}\n`, (await d.rnx(['list', '--since=soon'])).stderr);
  const stale = await call(admin, 'joblet_list_jobs', { cursor: 'not-a-cursor' });
  assert.ok(stale.isError);
  assert.is(stale.content[0]!.text, 'page_token is not one this server issued; start again without it');
});

test('a scheduled job is canceled; a second cancel is the error rnx prints', async () => {
  const id = await d.run(['--schedule=1h', 'echo', 'later']);
  assert.equal(await json(admin, 'joblet_cancel_job', { job_id: id }), { id, status: 'CANCELED' });
  const again = await call(admin, 'joblet_cancel_job', { job_id: id });
  const cli = await d.rnx(['cancel', id]);
  assert.ok(again.isError);
  assert.is(cli.code, 1);
  assert.is(`rnx: ${again.content[0]!.text}\n`, cli.stderr);
});

test('workflows: run from YAML and wait for the end; run a file with its uploads; read the status', async () => {
  const yaml = 'name: mcp-wf\njobs:\n  first: {command: echo, args: [one]}\n  second: {command: echo, args: [two], requires: [{first: COMPLETED}]}\n';
  type Wf = { id: string; status: string; jobs: { name: string; status: string; dependencies: string[] }[]; yaml?: string; note?: string };
  const done = await json<Wf>(admin, 'joblet_run_workflow', { yaml, wait: true });
  assert.is(done.status, 'COMPLETED');
  assert.equal(done.jobs.map((j) => [j.name, j.status, j.dependencies]), [['first', 'COMPLETED', []], ['second', 'COMPLETED', ['first']]]);
  assert.is(done.note, undefined);
  const status = await json<Wf>(viewer, 'joblet_get_workflow_status', { workflow_id: done.id.slice(0, 8), include_yaml: true });
  assert.is(status.yaml, yaml);
  // A file of this machine: its jobs' uploads come from beside it.
  const dir = fs.mkdtempSync(path.join(d.dir, 'wf-'));
  fs.writeFileSync(path.join(dir, 'msg.txt'), 'uploaded beside the file\n');
  fs.writeFileSync(path.join(dir, 'up.yaml'), 'jobs:\n  show: {command: cat, args: [msg.txt], uploads: {files: [msg.txt]}}\n');
  const file = path.join(dir, 'up.yaml');
  const up = await json<Wf & { jobs: { id: string }[] }>(admin, 'joblet_run_workflow', { path: file, wait: true });
  assert.is(up.status, 'COMPLETED');
  assert.is((await call(admin, 'joblet_get_job_logs', { job_id: up.jobs[0]!.id })).content[0]!.text, 'uploaded beside the file\n');
  // The server's validation, word for word.
  const bad = await call(admin, 'joblet_run_workflow', { yaml: 'jobs:\n  a: {command: echo, requires: [{nope: COMPLETED}]}\n' });
  assert.ok(bad.isError);
  assert.match(bad.content[0]!.text, /nope/);
  const both = await call(admin, 'joblet_run_workflow', { yaml, path: file });
  assert.is(both.content[0]!.text, 'give either path (a workflow file on this machine) or yaml (its content), not both and not neither');
});

test("a job's metrics: samples and a summary; the host's status", async () => {
  const id = await d.run(['sh', '-c', 'i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done']);
  await d.waitDone(id, 120_000);
  const m = await json<{ summary: { samples: number; cpuPercentMax: number }; samples: { jobId: string; cpuPercent: number; final: boolean }[] }>(admin, 'joblet_get_job_metrics', { job_id: id });
  const cli = (await d.rnx(['--json', 'job', 'metrics', id])).stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { cpuPercent: number });
  assert.ok(m.summary.samples >= 1, 'the final sample at least');
  assert.is(m.summary.samples, cli.length);
  assert.equal(m.samples.map((s) => s.cpuPercent), cli.map((s) => s.cpuPercent).slice(-60));
  assert.ok(m.samples.every((s) => s.jobId === id));
  assert.ok(m.samples[m.samples.length - 1]!.final, 'the last sample was taken as the job ended');
  const sys = await json<{ host: { hostname: string }; memory: { totalBytes: number }; processes: { topByCpu: unknown[] } }>(admin, 'joblet_get_system_status');
  const cliSys = JSON.parse((await d.rnx(['--json', 'monitor', 'status'])).stdout) as { host: { hostname: string }; memory: { totalBytes: number } };
  assert.is(sys.host.hostname, cliSys.host.hostname);
  assert.is(sys.memory.totalBytes, cliSys.memory.totalBytes);
  assert.ok(sys.processes.topByCpu.length > 0);
});

test.run();
