/** Host-side upload path checks and the workspace writer. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkUploadList, checkUploadPath, WorkspaceWriter } from '../../src/daemon/jobs/uploads';

test('hostile paths are refused', () => {
  for (const [p, msg] of [
    ['', /empty/],
    ['/etc/passwd', /is absolute/],
    ['../x', /contains '\.\.'/],
    ['a/../../x', /contains '\.\.'/],
    ['a//b', /empty or '\.' component/],
    ['./a', /empty or '\.' component/],
    ['a\0b', /NUL byte/],
    ['x'.repeat(300), /longer than 255/],
  ] as const) {
    assert.throws(() => checkUploadPath(p), msg, JSON.stringify(p));
  }
  assert.equal(checkUploadPath('dir/sub/file.txt'), ['dir', 'sub', 'file.txt']);
  assert.equal(checkUploadPath('dir/'), ['dir']);
  assert.throws(() => checkUploadList([{ path: 'a', mode: 0, isDirectory: false, size: 1 }, { path: 'a', mode: 0, isDirectory: false, size: 1 }]), /given twice/);
});

test('the writer creates files with their modes, checks sizes and never follows symlinks', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'joblet-ws-'));
  try {
    const w = new WorkspaceWriter(root, process.getuid!(), process.getgid!());
    w.begin({ path: 'sub/run.sh', mode: 0o4755, isDirectory: false, size: 3 });
    w.write(Buffer.from('abc'));
    w.finish();
    const st = fs.statSync(path.join(root, 'sub/run.sh'));
    assert.is(st.mode & 0o7777, 0o755, 'setuid bit must be dropped');
    w.begin({ path: 'short', mode: 0o644, isDirectory: false, size: 10 });
    w.write(Buffer.from('12345'));
    assert.throws(() => w.finish(), /ended after 5 of 10 bytes/);
    w.begin({ path: 'long', mode: 0o644, isDirectory: false, size: 2 });
    assert.throws(() => w.write(Buffer.from('123')), /more than its declared 2 bytes/);
    assert.throws(() => w.finish(), /ended after 0 of 2 bytes/);
    fs.symlinkSync('/etc/passwd', path.join(root, 'link'));
    assert.throws(() => w.begin({ path: 'link', mode: 0o644, isDirectory: false, size: 0 }), /upload path 'link' exists already/);
    fs.writeFileSync(path.join(root, 'file'), '');
    assert.throws(() => w.begin({ path: 'file/inner', mode: 0o644, isDirectory: false, size: 0 }), /conflicts with an uploaded file/);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test.run();
