/**
 * Host-side passes over a build's output (an untrusted tree): ids shifted back from the build's
 * range to real ones, set-id bits stripped, symlinks never followed, hard links counted once,
 * files read only along symlink-free paths. Needs root (chown).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { finalizeTree, readInside, treeSize } from '../../../src/daemon/runtimes/tree';

const BASE = 1_500_000_000;
let tmp: string;
let outside: string;

test.before(() => {
  if (process.getuid?.() !== 0) throw new Error('this test needs root (chown); CI runs as root');
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'joblet-tree-'));
  outside = fs.mkdtempSync(path.join(os.tmpdir(), 'joblet-outside-'));
  fs.writeFileSync(path.join(outside, 'victim'), 'host file');
  fs.chownSync(path.join(outside, 'victim'), 1234, 1234);
});
test.after(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.rmSync(outside, { recursive: true, force: true });
});

test('ids of the build range become real ids, set-id bits go, symlinks are not followed', async () => {
  const root = path.join(tmp, 'rootfs');
  fs.mkdirSync(path.join(root, 'usr/bin'), { recursive: true });
  fs.mkdirSync(path.join(root, 'var/mail'), { recursive: true });
  fs.writeFileSync(path.join(root, 'usr/bin/su'), 'x'.repeat(10000), { mode: 0o4755 });
  fs.writeFileSync(path.join(root, 'usr/bin/wall'), 'y', { mode: 0o2755 });
  fs.linkSync(path.join(root, 'usr/bin/su'), path.join(root, 'usr/bin/su-hardlink'));
  fs.symlinkSync(path.join(outside, 'victim'), path.join(root, 'usr/bin/escape'));
  for (const p of ['', 'usr', 'usr/bin', 'var', 'usr/bin/su', 'usr/bin/wall']) fs.lchownSync(path.join(root, p), BASE, BASE);
  fs.lchownSync(path.join(root, 'var/mail'), BASE, BASE + 8); // root:mail inside the build
  fs.lchownSync(path.join(root, 'usr/bin/escape'), BASE + 33, BASE + 33);
  fs.chmodSync(path.join(root, 'var/mail'), 0o2775);

  const stats = await finalizeTree(root, BASE, 65536);
  const st = (p: string) => fs.lstatSync(path.join(root, p));
  assert.is(st('').uid, 0);
  assert.is(st('usr/bin/su').uid, 0);
  assert.is(st('usr/bin/su').mode & 0o7777, 0o755, 'setuid stripped');
  assert.is(st('usr/bin/wall').mode & 0o7777, 0o755, 'setgid stripped');
  assert.is(st('var/mail').gid, 8);
  assert.is(st('var/mail').mode & 0o7777, 0o2775, 'a setgid directory keeps its bit');
  assert.is(st('usr/bin/escape').uid, 33, 'the symlink itself was chowned (lchown)');
  const victim = fs.statSync(path.join(outside, 'victim'));
  assert.is(victim.uid, 1234, 'the symlink target outside was not touched');
  assert.ok(stats.entries >= 9);
  // Hard links count once: the 10 KB file appears twice but is counted once.
  assert.is(stats.bytes, await treeSize(root));
});

test('readInside refuses symlinked paths and reads plain ones', () => {
  const root = path.join(tmp, 'r2');
  fs.mkdirSync(path.join(root, 'var/lib/dpkg'), { recursive: true });
  fs.writeFileSync(path.join(root, 'var/lib/dpkg/status'), 'Package: a\n');
  assert.is(readInside(root, 'var/lib/dpkg/status'), 'Package: a\n');
  assert.is(readInside(root, 'var/lib/dpkg/missing'), undefined);
  fs.rmSync(path.join(root, 'var/lib/dpkg/status'));
  fs.symlinkSync(path.join(outside, 'victim'), path.join(root, 'var/lib/dpkg/status'));
  assert.throws(() => readInside(root, 'var/lib/dpkg/status'), /is a symlink/);
  fs.rmSync(path.join(root, 'var/lib'), { recursive: true });
  fs.symlinkSync(outside, path.join(root, 'var/lib'));
  assert.throws(() => readInside(root, 'var/lib/victim'), /var\/lib is a symlink/);
});

test.run();
