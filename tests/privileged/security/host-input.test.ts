/**
 * What the host does with hostile input: upload lists that collide, nest deeply or are huge,
 * streamed uploads that lie about their size or order, symlinks and odd files a job plants in
 * its workspace for the daemon's clean-up to trip over, job ids built to traverse paths or
 * inject SQL, and names carrying terminal escape sequences. (Traversing upload paths, NUL bytes
 * and oversized messages are covered by tests/integration/auth.test.ts.)
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Channel } from 'nice-grpc';
import { Status, allRpcs, callRpc, nodePems, openChannel, show, type CallOutcome, type Rpc } from '../../helpers/grpc';
import { TestDaemon, assertNothingLeft, eventually, requireRoot, runWait, setLimits } from './helpers';

const it = requireRoot() ? test : test.skip;

/** The server's disk ceiling in this file (limits.maxDiskBytes). */
const MAX_DISK = 64 * 1024 * 1024;

let d: TestDaemon;
let admin: Channel;

const rpc = (name: string): Rpc => allRpcs().find((r) => r.name === name)!;
const file = (p: string, content = 'x', mode = 0o644) => ({ path: p, content: Buffer.from(content), mode });
const dir = (p: string) => ({ path: p, isDirectory: true, mode: 0o755 });

/** Every path under `root` (files and directories), sorted. */
function tree(root: string): string[] {
  const out: string[] = [];
  const walk = (p: string) => {
    for (const e of fs.readdirSync(p, { withFileTypes: true })) {
      out.push(path.join(p, e.name));
      if (e.isDirectory()) walk(path.join(p, e.name));
    }
  };
  walk(root);
  return out.sort();
}

/** Job workspaces that exist now. */
const workspaces = () => fs.readdirSync(path.join(d.stateDir, 'run')).sort();

/** A refusal that names the problem without leaking host paths; no job and no workspace remain. */
async function assertRefused(o: CallOutcome, what: string, before: string[]): Promise<void> {
  assert.ok(o.code === Status.INVALID_ARGUMENT || o.code === Status.RESOURCE_EXHAUSTED, `${what}: ${show(o)}`);
  assert.not.ok(o.details.includes(d.dir), `${what}: the message shows a host path: ${o.details}`);
  const clean = await eventually(() => workspaces().filter((w) => !before.includes(w)).length === 0, 3000);
  assert.ok(clean, `${what}: a workspace was left behind`);
}

test.before(async () => {
  if (process.getuid?.() !== 0) return;
  d = await TestDaemon.start({ configEdit: setLimits({ maxDiskBytes: MAX_DISK }) });
  admin = openChannel(`127.0.0.1:${d.port}`, nodePems(d.rnxConfig, 'default'));
});
test.after(async () => {
  admin?.close();
  await d?.destroy();
});

it('uploads that collide (file and directory of one name, a file under a file) are INVALID_ARGUMENT, whatever the order', async () => {
  const cases: Array<[string, object[]]> = [
    ['a file, then a directory of the same name', [file('a'), dir('a')]],
    ['a directory, then a file of the same name', [dir('d'), file('d')]],
    ['a file, then a file under it', [file('a'), file('a/b')]],
    ['a file in a directory, then a file named like the directory', [file('a/b'), file('a')]],
  ];
  for (const [what, uploads] of cases) {
    const before = workspaces();
    await assertRefused(await callRpc(admin, rpc('RunJob'), { request: { command: 'true', uploads } }), what, before);
  }
});

it('an upload nested 2000 directories deep is refused cleanly (no internal error, no host path)', async () => {
  const before = workspaces();
  const o = await callRpc(admin, rpc('RunJob'), { request: { command: 'true', uploads: [file(`${'a/'.repeat(2000)}z`)] } });
  await assertRefused(o, 'deep nesting', before);
});

it('10000 tiny files arrive intact; 10001 are refused', async () => {
  const many = Array.from({ length: 10000 }, (_, i) => file(`f${i}`, ''));
  const ok = await callRpc(admin, rpc('RunJob'), { request: { command: 'sh', args: ['-c', 'ls /work | wc -l'], uploads: many }, timeoutMs: 60000 });
  assert.is(ok.code, Status.OK, show(ok));
  const id = (ok.response as { jobUuid: string }).jobUuid;
  assert.is((await d.waitDone(id)).status, 'COMPLETED');
  assert.is((await d.rnx(['log', id])).stdout, '10000\n');
  const before = workspaces();
  const o = await callRpc(admin, rpc('RunJob'), { request: { command: 'true', uploads: [...many, file('one-more')] } });
  await assertRefused(o, '10001 files', before);
  assert.match(o.details, /too many uploads \(10001\); at most 10000/);
});

it('setuid, setgid and sticky bits of an upload are dropped', async () => {
  const o = await callRpc(admin, rpc('RunJob'), { request: { command: 'stat', args: ['-c', '%a', 's'], uploads: [file('s', '#!/bin/sh\nid -u\n', 0o7777)] } });
  assert.is(o.code, Status.OK, show(o));
  const id = (o.response as { jobUuid: string }).jobUuid;
  await d.waitDone(id);
  assert.is((await d.rnx(['log', id])).stdout, '777\n');
});

it('streamed uploads that lie (more or fewer bytes than declared, chunks out of order) are refused and leave nothing', async () => {
  const req = (uploads: object[]) => ({ message: { $case: 'request', request: { command: 'true', uploads } } });
  const chunk = (index: number, n: number) => ({ message: { $case: 'chunk', chunk: { index, data: Buffer.alloc(n, 1) } } });
  const cases: Array<[string, object[], RegExp]> = [
    ['more bytes than declared', [req([{ path: 'a', size: 4 }]), chunk(0, 8)], /sent more than its declared 4 bytes/],
    ['fewer bytes than declared', [req([{ path: 'a', size: 8 }]), chunk(0, 4)], /ended after 4 of 8 bytes/],
    ['a chunk for an earlier file', [req([{ path: 'a', size: 1 }, { path: 'b', size: 1 }]), chunk(0, 1), chunk(1, 1), chunk(0, 1)], /out of order/],
    ['a file skipped without its data', [req([{ path: 'a', size: 1 }, { path: 'b', size: 1 }]), chunk(1, 1)], /upload 'a' ended after 0 of 1 bytes/],
    ['a chunk past the last file', [req([{ path: 'a', size: 1 }]), chunk(0, 1), chunk(5, 1)], /out of order/],
    ['a negative chunk index', [req([{ path: 'a', size: 1 }]), chunk(-1, 1)], /./],
    ['data for a directory', [req([{ path: 'd', isDirectory: true }]), chunk(0, 4)], /./],
    ['data before the request', [chunk(0, 1), req([{ path: 'a', size: 1 }])], /before the job request/],
  ];
  for (const [what, stream, message] of cases) {
    const before = workspaces();
    const o = await callRpc(admin, rpc('RunJobStreaming'), { stream });
    await assertRefused(o, what, before);
    assert.match(o.details, message, `${what}: ${o.details}`);
  }
});

it("uploads declared larger than the server's disk ceiling are refused before a byte is stored", async () => {
  // The workspace is a tmpfs sized to quota + declared uploads: without a ceiling a client could
  // make it as large as it likes and fill the host's memory with upload data.
  const before = workspaces();
  const o = await callRpc(admin, rpc('RunJobStreaming'), {
    stream: [{ message: { $case: 'request', request: { command: 'true', uploads: [{ path: 'big', size: 2 ** 40 }] } } }, { message: { $case: 'chunk', chunk: { index: 0, data: Buffer.alloc(1024) } } }],
  });
  await assertRefused(o, '1 TiB declared', before);
  assert.not.match(o.details, /ended after/, `the 1 TiB upload was accepted until the stream ended: ${o.details}`);
});

it("symlinks, FIFOs and locked-down files a job leaves in /work do not lead the daemon's clean-up outside it", async () => {
  const outside = fs.mkdtempSync(path.join(d.dir, 'outside-'));
  fs.writeFileSync(path.join(outside, 'keep'), 'precious\n');
  const snapshot = tree(outside);
  const script = [
    `ln -s ${outside} /work/to-host`,
    `ln -s ${outside}/keep /work/keep-link`,
    'ln -s / /work/root',
    'mkfifo /work/fifo',
    'mkdir -p /work/locked/deeper && echo x > /work/locked/deeper/f && chmod 000 /work/locked/deeper /work/locked',
    'echo y > /work/nope && chmod 000 /work/nope',
    'chmod 000 /work',
  ].join(' && ');
  const r = await runWait(d, ['sh', '-c', script]);
  assert.is(r.code, 0, r.stderr);
  const id = JSON.parse((await d.rnx(['list', '--json'])).stdout).pop().id as string;
  const del = await d.rnx(['delete', id]);
  assert.is(del.code, 0, del.stderr);
  assert.equal(tree(outside), snapshot, 'the host directory a symlink pointed to changed');
  assert.is(fs.readFileSync(path.join(outside, 'keep'), 'utf8'), 'precious\n');
  assert.not.ok(fs.existsSync(path.join(d.stateDir, 'run', id)), 'the workspace is gone');
  await assertNothingLeft(d, id);
});

it('hostile job ids (traversal, SQL, wildcards, NUL, escapes, 5000 characters) are refused by every job RPC; state and config stay as they were', async () => {
  const ids = ['../../config', '..', '../run', '%', '%%%%', "' OR '1'='1", 'a'.repeat(5000), 'abcd\0ef', '\x1b[2J\x1b]0;x\x07', '*', '????', '0000-0000'];
  const before = [...tree(d.configDir), ...tree(d.stateDir).filter((p) => !p.includes('-wal') && !p.includes('-shm'))];
  for (const name of ['GetJobStatus', 'StopJob', 'DeleteJob', 'GetJobLogs']) {
    for (const uuid of ids) {
      const o = await callRpc(admin, rpc(name), { request: { uuid } });
      const what = `${name}(${JSON.stringify(uuid.slice(0, 20))})`;
      assert.ok(o.code === Status.INVALID_ARGUMENT || o.code === Status.NOT_FOUND, `${what}: ${show(o)}`);
      assert.not.match(o.details, /[\x00-\x1f\x7f]/, `${what}: control characters echoed: ${JSON.stringify(o.details)}`);
      assert.ok(o.details.length < 300, `${what}: a ${o.details.length}-character message`);
    }
  }
  const after = [...tree(d.configDir), ...tree(d.stateDir).filter((p) => !p.includes('-wal') && !p.includes('-shm'))];
  assert.equal(after, before);
  const r = await d.rnx(['status', '../../etc/passwd']);
  assert.is(r.code, 1);
  assert.is(r.stderr, "rnx: invalid job id '../../etc/passwd': ids are UUIDs like 3f2a9c1e-… (see 'rnx list')\n");
});

it('terminal escape sequences in a command, its arguments and environment are not replayed raw by rnx list and status', async () => {
  const esc = '\x1b]0;owned\x07\x1b[2J';
  const r = await runWait(d, ['-e', `X=${esc}`, 'echo', `marker-${crypto.randomBytes(3).toString('hex')}`, esc]);
  assert.is(r.code, 0, r.stderr);
  const id = JSON.parse((await d.rnx(['list', '--json'])).stdout).pop().id as string;
  for (const args of [['list'], ['status', id]]) {
    const out = (await d.rnx(args)).stdout;
    assert.not.match(out, /\x1b/, `rnx ${args[0]} prints the job's escape sequences raw`);
  }
});

test.run();
