/** Uploads: files land in /work, trees keep their shape, modes survive, hostile input is refused. */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TestDaemon } from '../helpers/daemon';

let d: TestDaemon;
let src: string;
test.before(async () => {
  d = await TestDaemon.start();
  src = fs.mkdtempSync(path.join(os.tmpdir(), 'joblet-upload-'));
  fs.writeFileSync(path.join(src, 'file1.txt'), 'Hello from file1\n');
  fs.writeFileSync(path.join(src, 'file2.txt'), 'Hello from file2\n');
  fs.writeFileSync(path.join(src, 'empty.txt'), '');
  fs.writeFileSync(path.join(src, 'run.sh'), '#!/bin/sh\necho script ran with "$@"\n', { mode: 0o750 });
  fs.mkdirSync(path.join(src, 'tree/subdir/deeper'), { recursive: true });
  fs.writeFileSync(path.join(src, 'tree/top.txt'), 'top\n');
  fs.writeFileSync(path.join(src, 'tree/subdir/nested.txt'), 'nested\n', { mode: 0o600 });
  fs.writeFileSync(path.join(src, 'tree/subdir/deeper/deep.txt'), 'deep\n');
});
test.after(async () => {
  await d?.destroy();
  fs.rmSync(src, { recursive: true, force: true });
});

test('--upload places a file in /work under its base name', async () => {
  const r = await d.rnx(['run', '--wait', `--upload=${path.join(src, 'file1.txt')}`, 'cat', 'file1.txt']);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, 'Hello from file1\n');
});

test('several uploads, an empty file, and modes preserved (an executable script runs)', async () => {
  const r = await d.rnx(['run', '--wait', '--upload', path.join(src, 'file1.txt'), '--upload', path.join(src, 'file2.txt'), '--upload', path.join(src, 'empty.txt'), '--upload', path.join(src, 'run.sh'),
    'sh', '-c', 'cat file1.txt && echo --- && cat file2.txt && wc -c < empty.txt && stat -c "%a %U" run.sh && ./run.sh a b']);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, 'Hello from file1\n---\nHello from file2\n0\n750 job\nscript ran with a b\n');
});

test('--upload-dir keeps relative paths and directory structure', async () => {
  const r = await d.rnx(['run', '--wait', `--upload-dir=${path.join(src, 'tree')}`, 'sh', '-c', 'find . -type f | sort; stat -c %a subdir/nested.txt']);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, './subdir/deeper/deep.txt\n./subdir/nested.txt\n./top.txt\n600\n');
  const st = JSON.parse((await d.rnx(['list', '--json'])).stdout).pop() as { uploads: string[] };
  assert.equal(st.uploads.sort(), ['subdir/deeper/deep.txt', 'subdir/nested.txt', 'top.txt']);
});

test('a large file streams through intact', async () => {
  const big = path.join(src, 'big.bin');
  const fd = fs.openSync(big, 'w');
  const block = Buffer.alloc(1 << 20);
  const hash = createHash('sha256');
  for (let i = 0; i < 40; i++) {
    block.fill(i);
    block.writeUInt32LE(i * 7919, 0);
    fs.writeSync(fd, block);
    hash.update(block);
  }
  fs.closeSync(fd);
  const r = await d.rnx(['run', '--wait', '--upload', big, 'sha256sum', 'big.bin'], { timeoutMs: 120000 });
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout.split(' ')[0], hash.digest('hex'));
  fs.rmSync(big);
});

test('client refuses symlinks, directories given to --upload, and missing files', async () => {
  const link = path.join(src, 'link.txt');
  fs.symlinkSync('/etc/passwd', link);
  const r1 = await d.rnx(['run', '--upload', link, 'true']);
  assert.is(r1.code, 1);
  assert.match(r1.stderr, /is a symbolic link/);
  const r2 = await d.rnx(['run', '--upload', path.join(src, 'tree'), 'true']);
  assert.match(r2.stderr, /is a directory; use --upload-dir/);
  const r3 = await d.rnx(['run', '--upload', path.join(src, 'nope.txt'), 'true']);
  assert.match(r3.stderr, /no such file or directory/);
  const withLink = path.join(src, 'linktree');
  fs.mkdirSync(withLink);
  fs.symlinkSync('/etc/shadow', path.join(withLink, 'shadow'));
  const r4 = await d.rnx(['run', '--upload-dir', withLink, 'true']);
  assert.is(r4.code, 1);
  assert.match(r4.stderr, /shadow is a symbolic link; symbolic links are not uploaded/);
  fs.rmSync(link);
  fs.rmSync(withLink, { recursive: true });
  assert.is((await d.rnx(['list', '--json'])).stdout.includes('"command": "true"'), false, 'a refused upload created a job');
});

test('uploads of one job are invisible to another', async () => {
  await d.rnx(['run', '--wait', '--upload', path.join(src, 'file1.txt'), 'cat', 'file1.txt']);
  const r = await d.rnx(['run', '--wait', 'ls', '-A', '/work']);
  assert.is(r.stdout, '');
});

test.run();
