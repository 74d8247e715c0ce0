/**
 * No way to wedge the daemon from outside: an idle upload is aborted and freed, ListJobs pages below maxMessageBytes, retention bounds the finished jobs, and a
 * start-up that fails at listen() releases its bridges, nft table and mounts.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createClient } from 'nice-grpc';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { JobServiceDefinition, JobTransferServiceDefinition } from '../../src/gen/joblet';
import { JOBLET, TestDaemon, exec } from '../helpers/daemon';
import { Status, nodePems, openChannel } from '../helpers/grpc';

let d: TestDaemon;
test.before(async () => {
  d = await TestDaemon.start({
    configEdit: (y) =>
      y
        .replace(/uploadIdleSeconds: \d+/, 'uploadIdleSeconds: 2')
        .replace(/maxMessageBytes: \d+/, 'maxMessageBytes: 65536')
        .replace(/^    keep: \d+$/m, '    keep: 5'),
  });
});
test.after(async () => {
  await d?.destroy();
});

type Json = Record<string, any>;

test('an upload stream idle for more than jobs.uploadIdleSeconds is aborted and its workspace freed', async () => {
  const ch = openChannel(`127.0.0.1:${d.port}`, nodePems(d.rnxConfig, 'default'));
  const transfer = createClient(JobTransferServiceDefinition, ch);
  const stall = new AbortController();
  try {
    const t0 = Date.now();
    const err = await transfer
      .runJobStreaming(
        (async function* (): AsyncGenerator<any> {
          yield { message: { $case: 'request' as const, request: { command: 'cat', args: ['a'], uploads: [{ path: 'a', content: Buffer.alloc(0), mode: 0o644, isDirectory: false, size: '10' }] } as never } };
          yield { message: { $case: 'chunk' as const, chunk: { index: 0, data: Buffer.from('12345') } } };
          // Half the file, then silence.
          await new Promise((r) => setTimeout(r, 60000).unref());
        })(),
        { signal: stall.signal },
      )
      .then(() => undefined, (e: { code?: number; details?: string }) => e);
    assert.ok(err, 'the stalled upload was accepted');
    assert.is(err!.code, Status.DEADLINE_EXCEEDED);
    assert.match(err!.details ?? '', /sent nothing for 2 s \(jobs.uploadIdleSeconds\); the job was not created/);
    assert.ok(Date.now() - t0 < 20000);
    assert.equal(fs.readdirSync(path.join(d.stateDir, 'run')), [], 'the workspace was not freed');
    const r = await d.rnx(['run', '--wait', 'echo', 'still fine']);
    assert.is(r.stdout, 'still fine\n');
  } finally {
    stall.abort();
    ch.close();
  }
});

test('ListJobs never exceeds maxMessageBytes: pages with a token; rnx list pages through all', async () => {
  const ch = openChannel(`127.0.0.1:${d.port}`, nodePems(d.rnxConfig, 'default'));
  const jobs = createClient(JobServiceDefinition, ch);
  try {
    // Scheduled jobs stay (retention keeps only finished ones), each about 2 KB on the wire.
    const env = { PAD: 'p'.repeat(2000) };
    const ids: string[] = [];
    for (let i = 0; i < 45; i++) ids.push((await jobs.runJob({ command: 'true', schedule: '1h', environment: env } as never)).jobUuid);
    const first = await jobs.listJobs({});
    assert.ok(first.jobs.length < 45, `one page held ${first.jobs.length} jobs of 2 KB under a 64 KiB limit`);
    assert.ok(first.nextPageToken, 'no token for the older jobs');
    // The newest page ends with the newest job.
    assert.is(first.jobs.at(-1)!.uuid, ids.at(-1));
    const all = JSON.parse((await d.rnx(['list', '--json', '--status=scheduled'])).stdout) as Json[];
    assert.equal(all.map((j) => j.id), ids);
    const bad = await jobs.listJobs({ pageToken: 'bm9wZQ' } as never).catch((e: { details: string }) => e);
    assert.match((bad as { details: string }).details, /page_token is not one this server issued/);
    for (const id of ids) await jobs.cancelJob({ uuid: id } as never);
  } finally {
    ch.close();
  }
});

test('retention: only the newest jobs.retention.keep finished jobs stay, with their logs', async () => {
  const ids: string[] = [];
  // Waited for one by one: retention may remove the oldest while later ones still run.
  for (let i = 0; i < 8; i++) ids.push(JSON.parse((await d.rnx(['run', '--wait', '--json', 'sh', '-c', `echo job ${i} >&2`])).stdout).id);
  const end = Date.now() + 20000;
  let finished: Json[] = [];
  while (Date.now() < end) {
    finished = (JSON.parse((await d.rnx(['list', '--json'])).stdout) as Json[]).filter((j) => ['COMPLETED', 'FAILED', 'STOPPED', 'CANCELED'].includes(j.status));
    if (finished.length <= 5) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.is(finished.length, 5);
  assert.equal(finished.map((j) => j.id), ids.slice(3));
  assert.match((await d.rnx(['status', ids[0]!])).stderr, /not found/);
  assert.not.ok(fs.existsSync(path.join(d.stateDir, 'logs', `${ids[0]}.log`)), 'the log of a removed job stayed');
  assert.is((await d.rnx(['log', ids[7]!])).stderr, 'job 7\n');
});

test('a start-up that fails at listen() releases bridges, the nft table and volume mounts', async () => {
  const other = await TestDaemon.start();
  try {
    const v = await other.rnx(['volume', 'create', 'keepme', '--size=8MB', '--type=memory']);
    assert.is(v.code, 0, v.stderr);
    await other.stop();
    // Same daemon, but its port is now taken (by d).
    fs.writeFileSync(other.serverConfig, fs.readFileSync(other.serverConfig, 'utf8').replace(/address: "127\.0\.0\.1:\d+"/, `address: "127.0.0.1:${d.port}"`));
    const r = await exec(JOBLET, ['serve', '--config', other.serverConfig], { timeoutMs: 30000 });
    assert.is(r.code, 2, r.stderr);
    assert.match(r.stderr, /server\.address: cannot listen on 127\.0\.0\.1:\d+/);
    const mounts = fs.readFileSync('/proc/self/mountinfo', 'utf8');
    assert.not.ok(mounts.includes(other.stateDir), 'a mount of the failed daemon stayed');
    const tables = execFileSync('nft', ['list', 'tables'], { encoding: 'utf8' });
    assert.not.ok(tables.includes(`joblet_${other.instance}`), 'its nft table stayed');
    const links = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' });
    assert.not.ok(links.includes(`joblet/${other.instance}/`), 'its bridges stayed');
  } finally {
    await other.destroy();
  }
});

test.run();
