/**
 * Volumes against a real daemon (root: loop devices, ext4, tmpfs): data that outlives jobs and
 * daemon restarts, a size limit that holds, clear refusals, and a host left with exactly what it
 * should have — one loop device per filesystem volume, one mount per volume, nothing after removal.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TestDaemon, exec } from '../helpers/daemon';
import { ClientError, createClient } from 'nice-grpc';
import { JobServiceDefinition, VolumeServiceDefinition, type JobServiceClient, type VolumeServiceClient } from '../../src/gen/joblet';
import { Status, nodePems, openChannel } from '../helpers/grpc';

const MiB = 1024 ** 2;
let d: TestDaemon;

/** Root is needed for loop devices and mounts; without it the suite fails unless skips are allowed. */
function canRun(): boolean {
  if (process.getuid?.() === 0) return true;
  if (process.env.JOBLET_ALLOW_SKIP === '1') return false;
  throw new Error('volume tests need root (loop devices, mounts); set JOBLET_ALLOW_SKIP=1 to skip');
}
const privileged = canRun();

test.before(async () => {
  if (!privileged) return;
  // A low ceiling so that "more than this server allows" can be shown without a huge request.
  d = await TestDaemon.start({ configEdit: (y) => `${y}volumes:\n  maxSizeBytes: ${256 * MiB}\n  maxMemoryBytes: ${64 * MiB}\n` });
});

test.after(async () => {
  if (!d) return;
  await d.stop();
  // Whatever a failed test left: unmount and detach before the temp dir goes (rm must never
  // recurse into a mounted volume).
  for (const m of mountsUnder(d.dir).reverse()) await exec('umount', ['-l', m]);
  for (const l of loopsUnder(d.dir)) await exec('losetup', ['-d', l]);
  await d.destroy();
});

const volumesDir = () => path.join(d.stateDir, 'volumes');
const imageOf = (name: string) => path.join(fs.realpathSync(volumesDir()), name, 'volume.img');
const dataOf = (name: string) => path.join(fs.realpathSync(volumesDir()), name, 'data');

/** Mount points at or below `dir`. */
function mountsUnder(dir: string): string[] {
  const real = fs.realpathSync(dir);
  return fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4]?.replace(/\\040/g, ' '))
    .filter((m): m is string => !!m && (m === real || m.startsWith(`${real}/`)));
}

/** Mounts exactly at `dir`. */
function mountsAt(dir: string): number {
  return mountsUnder(path.dirname(dir)).filter((m) => m === dir).length;
}

/** Loop devices whose backing file lies under `dir` (deleted ones too). */
function loopsUnder(dir: string): string[] {
  const real = fs.realpathSync(dir);
  const out: string[] = [];
  for (const name of fs.readdirSync('/sys/block').filter((n) => n.startsWith('loop'))) {
    try {
      const f = fs.readFileSync(`/sys/block/${name}/loop/backing_file`, 'utf8').trim();
      if (f.startsWith(`${real}/`)) out.push(`/dev/${name}`);
    } catch {
      /* not attached */
    }
  }
  return out;
}

/** `losetup -j IMAGE`: the loop devices attached to one image, as losetup itself reports them. */
async function losetupJ(image: string): Promise<string[]> {
  const r = await exec('losetup', ['-j', image]);
  assert.is(r.code, 0, r.stderr);
  return r.stdout.split('\n').filter(Boolean);
}

/** `rnx volume list --json`. */
async function volumeList(): Promise<{ name: string; size: string; type: string; path: string; createdTime: string; jobCount: number }[]> {
  const r = await d.rnx(['volume', 'list', '--json']);
  assert.is(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

/** Run a job with --wait; returns its exit code and output. */
function job(args: string[]) {
  return d.rnx(['run', '--wait', ...args], { timeoutMs: 60000 });
}

/** What exists on the host for volumes: loop devices, mounts, directories. */
function hostState() {
  return { loops: loopsUnder(d.dir).sort(), mounts: mountsUnder(d.dir).sort(), dirs: fs.readdirSync(volumesDir()).sort() };
}

test('create prints the volume, list shows it; a filesystem volume is an ext4 loop mount, a memory volume a tmpfs', async () => {
  if (!privileged) return;
  const r = await d.rnx(['volume', 'create', 'data', '--size=10MB']);
  assert.is(r.code, 0, r.stderr);
  assert.is(
    r.stdout,
    `Volume created successfully:\n  Name: data\n  Size: 10MB\n  Type: filesystem\n  Path: ${dataOf('data')} (on the server; /volumes/data inside jobs)\n\n` +
      'Use this volume with: rnx run --volume=data <command>\n',
  );
  const m = await d.rnx(['volume', 'create', 'mem', '--size=8MB', '--type=memory']);
  assert.is(m.code, 0, m.stderr);
  assert.match(m.stdout, /Type: memory/);
  const list = await volumeList();
  assert.equal(list.map((v) => [v.name, v.size, v.type, v.jobCount]), [['data', '10MB', 'filesystem', 0], ['mem', '8MB', 'memory', 0]]);
  const text = await d.rnx(['volume', 'list']);
  assert.match(text.stdout, /^NAME +SIZE +TYPE +CREATED +JOBS\n-+ +-+ +-+ +-+ +-+\ndata +10MB +filesystem +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d +0\nmem +8MB +memory /);
  assert.equal(await losetupJ(imageOf('data')).then((l) => l.length), 1);
  assert.is(mountsAt(dataOf('data')), 1);
  assert.is(mountsAt(dataOf('mem')), 1);
  const fsType = await job(['--volume=data', '--volume=mem', 'stat', '-f', '-c', '%T', '/volumes/data', '/volumes/mem']);
  assert.is(fsType.stdout, 'ext2/ext3\ntmpfs\n', fsType.stderr);
});

test('data written by one job is read by the next; the volume belongs to the job user', async () => {
  if (!privileged) return;
  const w = await job(['--volume=data', 'sh', '-c', 'echo persistent data > /volumes/data/kept.txt && stat -c "%u:%g %a" /volumes/data && id -u']);
  assert.is(w.code, 0, w.stderr);
  assert.is(w.stdout, '65534:65534 755\n65534\n');
  const r = await job(['--volume=data', 'cat', '/volumes/data/kept.txt']);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, 'persistent data\n');
  // With uploads the job is started over the streaming RPC: volumes work there too.
  const input = path.join(d.dir, 'input.txt');
  fs.writeFileSync(input, 'uploaded\n');
  const up = await job([`--upload=${input}`, '--volume=data', '--workdir=/volumes/data', 'sh', '-c', 'cp /work/input.txt . && cat input.txt && pwd']);
  assert.is(up.stdout, 'uploaded\n/volumes/data\n', up.stderr);
  assert.is((await job(['--volume=data', 'cat', '/volumes/data/input.txt'])).stdout, 'uploaded\n');
  const mem1 = await job(['--volume=mem', 'sh', '-c', 'echo temp data > /volumes/mem/temp.txt']);
  assert.is(mem1.code, 0, mem1.stderr);
  assert.is((await job(['--volume=mem', 'cat', '/volumes/mem/temp.txt'])).stdout, 'temp data\n');
});

test('the size limit holds: 15 MB into a 10 MB volume fails with ENOSPC, and the host keeps only the sparse image', async () => {
  if (!privileged) return;
  const r = await job(['--volume=data', 'sh', '-c', 'dd if=/dev/zero of=/volumes/data/big bs=1M count=15']);
  assert.is.not(r.code, 0);
  assert.match(r.stderr, /No space left on device/);
  // The image never grows past its size, and nothing of the job's data lands beside it.
  const st = fs.statSync(imageOf('data'));
  assert.is(st.size, 10 * MiB);
  assert.ok(st.blocks * 512 <= 10 * MiB, `image takes ${st.blocks * 512} bytes`);
  assert.equal(fs.readdirSync(path.dirname(imageOf('data'))).sort(), ['data', 'volume.img']);
  const clean = await job(['--volume=data', 'rm', '/volumes/data/big']);
  assert.is(clean.code, 0, clean.stderr);
  const mem = await job(['--volume=mem', 'sh', '-c', 'dd if=/dev/zero of=/volumes/mem/big bs=1M count=12; rc=$?; rm -f /volumes/mem/big; exit $rc']);
  assert.is.not(mem.code, 0);
  assert.match(mem.stderr, /No space left on device/);
});

test('a job without --volume sees no /volumes; a job sees only the volumes it asked for', async () => {
  if (!privileged) return;
  const none = await job(['sh', '-c', 'ls -d /volumes/data /volumes 2>&1; exit 0']);
  assert.match(none.stdout, /\/volumes\/data.*No such file or directory/);
  assert.not.match(none.stdout, /^\/volumes$/m);
  const one = await job(['--volume=mem', 'ls', '/volumes']);
  assert.is(one.stdout, 'mem\n');
});

test('status shows a job\'s volumes; several jobs share a volume and removing it meanwhile is refused', async () => {
  if (!privileged) return;
  const a = await d.run(['--volume=data', '--volume=mem', 'sleep', '30']);
  const b = await d.run(['--volume=data', 'sleep', '30']);
  try {
    const st = await d.rnx(['status', '--json', a]);
    assert.equal(JSON.parse(st.stdout).volumes, ['data', 'mem']);
    assert.match((await d.rnx(['status', a])).stdout, /^Volumes: +data \(\/volumes\/data\), mem \(\/volumes\/mem\)$/m);
    let list = await volumeList();
    for (let i = 0; i < 50 && list.find((v) => v.name === 'data')!.jobCount < 2; i++) list = await volumeList();
    assert.equal(list.map((v) => [v.name, v.jobCount]), [['data', 2], ['mem', 1]]);
    const rm = await d.rnx(['volume', 'remove', 'data']);
    assert.is(rm.code, 1);
    assert.match(rm.stderr, /^rnx: volume 'data' is in use by 2 running jobs \([0-9a-f]{8}, [0-9a-f]{8}\); stop them or wait for them to finish, then remove the volume\n$/);
    assert.is(mountsAt(dataOf('data')), 1);
  } finally {
    await d.rnx(['stop', a]);
    await d.rnx(['stop', b]);
  }
  await d.waitDone(a);
  await d.waitDone(b);
  assert.equal((await volumeList()).map((v) => v.jobCount), [0, 0]);
});

test('refusals are clear, exit non-zero, and create nothing', async () => {
  if (!privileged) return;
  const before = hostState();
  const jobsBefore = JSON.parse((await d.rnx(['list', '--json'])).stdout).length;
  const cases: [string[], RegExp][] = [
    [['run', '--volume=nope', 'echo', 'hi'], /^rnx: volume 'nope' not found \(see 'rnx volume list'\); create it with 'rnx volume create nope --size=1GB'$/],
    [['run', '--volume=data', '--volume=nope', 'echo', 'hi'], /volume 'nope' not found/],
    [['run', `--upload=${path.join(d.dir, 'input.txt')}`, '--volume=nope', 'echo', 'hi'], /volume 'nope' not found/],
    [['run', '--volume=../etc', 'echo', 'hi'], /^rnx: invalid volume name '\.\.\/etc': use 1-63 characters/],
    [['volume', 'create', 'data', '--size=10MB'], /^rnx: volume 'data' already exists \(see 'rnx volume list'\)$/],
    [['volume', 'create', '..', '--size=10MB'], /invalid volume name '\.\.': use 1-63 characters/],
    [['volume', 'create', 'a/b', '--size=10MB'], /invalid volume name 'a\/b'/],
    [['volume', 'create', '--size=10MB', '--', '-x'], /invalid volume name '-x'/],
    [['volume', 'create', 'x'.repeat(64), '--size=10MB'], /: too long \(64 characters\)/],
    [['volume', 'create', 'x', '--size=0'], /--size: 0 is out of range; allowed: 1MB to /],
    [['volume', 'create', 'x', '--size=lots'], /--size: 'lots' is not a size; use e\.g\. 500MB or 1GB/],
    [['volume', 'create', 'x', '--size=1PB'], /not a size/],
    [['volume', 'create', 'x', '--size=1GB'], /^rnx: --size: 1GB is more than this server allows for a volume \(256MB, volumes\.maxSizeBytes\)$/],
    [['volume', 'create', 'x', '--size=60MB', '--type=memory'], /memory volumes may take 64MB of RAM in all on this server .* 8MB are taken, so 60MB more do not fit/],
    [['volume', 'create', 'x'], /--size is required/],
    [['volume', 'create', 'x', '--size=10MB', '--type=disk'], /--type: 'disk' is not a volume type/],
    [['volume', 'remove', 'nope'], /^rnx: volume 'nope' not found \(see 'rnx volume list'\)$/],
    [['--node', 'viewer', 'volume', 'create', 'x', '--size=10MB'], /role 'viewer' may not call CreateVolume/],
    [['--node', 'viewer', 'volume', 'remove', 'data'], /role 'viewer' may not call RemoveVolume/],
  ];
  for (const [args, expect] of cases) {
    const r = await d.rnx(args);
    assert.is.not(r.code, 0, `${args.join(' ')} succeeded`);
    assert.match(r.stderr.trim(), expect, `${args.join(' ')}: ${r.stderr}`);
    assert.is(r.stdout, '', `${args.join(' ')} printed ${r.stdout}`);
  }
  // The server refuses what rnx would have caught, too: another client may send anything.
  const channel = openChannel(`127.0.0.1:${d.port}`, nodePems(d.rnxConfig, 'default'));
  try {
    const volumes: VolumeServiceClient = createClient(VolumeServiceDefinition, channel);
    const jobs: JobServiceClient = createClient(JobServiceDefinition, channel);
    const refused = async (p: Promise<unknown>, code: Status, re: RegExp) => {
      const err = await p.then(() => undefined, (e: unknown) => e);
      assert.instance(err, ClientError);
      assert.is(Status[(err as ClientError).code], Status[code]);
      assert.match((err as ClientError).details, re);
    };
    await refused(volumes.createVolume({ name: '../x', size: '10MB' }), Status.INVALID_ARGUMENT, /invalid volume name/);
    await refused(volumes.createVolume({ name: 'x', size: '0' }), Status.INVALID_ARGUMENT, /out of range/);
    await refused(volumes.createVolume({ name: 'x', size: '10MB', type: 'disk' }), Status.INVALID_ARGUMENT, /not a volume type/);
    await refused(volumes.createVolume({ name: 'data', size: '10MB' }), Status.ALREADY_EXISTS, /already exists/);
    await refused(volumes.removeVolume({ name: '../../etc' }), Status.INVALID_ARGUMENT, /invalid volume name/);
    await refused(jobs.runJob({ command: 'true', volumes: ['nope'] }), Status.NOT_FOUND, /volume 'nope' not found/);
    await refused(jobs.runJob({ command: 'true', volumes: ['data', 'data'] }), Status.INVALID_ARGUMENT, /volume 'data' is given twice/);
    await refused(jobs.runJob({ command: 'true', volumes: ['a/../../x'] }), Status.INVALID_ARGUMENT, /invalid volume name/);
  } finally {
    channel.close();
  }
  assert.equal(hostState(), before);
  assert.is(JSON.parse((await d.rnx(['list', '--json'])).stdout).length, jobsBefore, 'a refused job was created');
  assert.equal((await volumeList()).map((v) => v.name), ['data', 'mem']);
  const viewerList = await d.rnx(['--node', 'viewer', 'volume', 'list']);
  assert.is(viewerList.code, 0, viewerList.stderr);
});

for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
  test(`after a ${signal} restart the filesystem volume keeps its data, with exactly one loop device and one mount`, async () => {
    if (!privileged) return;
    const image = imageOf('data');
    // A job holds the volume when the daemon goes: a clean stop ends it before unmounting, a crash
    // takes it down with the daemon.
    const holder = await d.run(['--volume=data', '--volume=mem', 'sleep', '300']);
    for (let i = 0; i < 100 && (await volumeList())[0]!.jobCount === 0; i++) await new Promise((r) => setTimeout(r, 50));
    await d.stop(signal);
    if (signal === 'SIGTERM') {
      // A clean stop leaves nothing attached or mounted.
      assert.equal(await losetupJ(image), []);
      assert.equal(mountsUnder(d.dir), []);
    } else {
      // A crash leaves the mounts; add a second loop device on the image, as a crash between
      // attach and mount could, to prove the restart does not keep or add duplicates.
      const extra = await exec('losetup', ['--find', '--show', image]);
      assert.is(extra.code, 0, extra.stderr);
      assert.is((await losetupJ(image)).length, 2);
    }
    await d.serve();
    assert.match((await d.waitDone(holder)).status as string, signal === 'SIGTERM' ? /^STOPPED$/ : /^FAILED$/);
    assert.is((await losetupJ(image)).length, 1, 'loop devices on the image after the restart');
    assert.is(mountsAt(dataOf('data')), 1);
    assert.is(mountsAt(dataOf('mem')), 1);
    assert.is(loopsUnder(d.dir).length, 1);
    const r = await job(['--volume=data', 'cat', '/volumes/data/kept.txt']);
    assert.is(r.stdout, 'persistent data\n', r.stderr);
    // Memory volumes are kept as volumes but start empty with every daemon start.
    const m = await job(['--volume=mem', 'ls', '-A', '/volumes/mem']);
    assert.is(m.code, 0, m.stderr);
    assert.is(m.stdout, '');
    assert.equal((await volumeList()).map((v) => [v.name, v.size, v.type]), [['data', '10MB', 'filesystem'], ['mem', '8MB', 'memory']]);
    await job(['--volume=mem', 'sh', '-c', 'echo again > /volumes/mem/temp.txt']);
  });
}

test('a volume whose image is lost stays listed with the reason, is refused to jobs, and can be removed', async () => {
  if (!privileged) return;
  assert.is((await d.rnx(['volume', 'create', 'lost', '--size=2MB'])).code, 0);
  await d.stop();
  fs.rmSync(imageOf('lost'));
  await d.serve();
  const v = (await volumeList()).find((x) => x.name === 'lost') as { problem?: string } | undefined;
  assert.ok(v, 'the volume is no longer listed');
  assert.match(v.problem ?? '', /^it could not be mounted at start-up: its image .*\/lost\/volume\.img is missing; remove the volume and create it again$/);
  const text = await d.rnx(['volume', 'list']);
  assert.match(text.stderr, /^rnx: volume 'lost' cannot be used: it could not be mounted/m);
  // Never the bare directory in its place: that would be a volume without a size limit.
  const r = await job(['--volume=lost', 'true']);
  assert.is(r.code, 1);
  assert.match(r.stderr, /^rnx: volume 'lost' cannot be used: it could not be mounted at start-up/);
  const rm = await d.rnx(['volume', 'remove', 'lost']);
  assert.is(rm.code, 0, rm.stderr);
  assert.ok(!fs.existsSync(path.join(volumesDir(), 'lost')));
});

test('remove unmounts, detaches the loop device and deletes the image; the names are gone', async () => {
  if (!privileged) return;
  const image = imageOf('data');
  for (const name of ['data', 'mem']) {
    const r = await d.rnx(['volume', 'remove', name]);
    assert.is(r.code, 0, r.stderr);
    assert.is(r.stdout, `Volume '${name}' removed successfully\n`);
  }
  assert.equal(await losetupJ(image), []);
  assert.equal(hostState(), { loops: [], mounts: [], dirs: [] });
  assert.is((await d.rnx(['volume', 'list'])).stdout, 'No volumes found\n');
  const gone = await job(['--volume=data', 'true']);
  assert.is(gone.code, 1);
  assert.match(gone.stderr, /volume 'data' not found/);
  // The name is free again.
  assert.is((await d.rnx(['volume', 'create', 'data', '--size=2MB', '--type=memory'])).code, 0);
  assert.is((await d.rnx(['volume', 'remove', 'data'])).code, 0);
});

test.run();
