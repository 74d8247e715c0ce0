/** Checks of a runtime's root before the init stage mounts it (no mounts here: those are privileged). */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkRuntimeRootfs, overlayPath } from '../../src/sandbox/runtime-root';

test('overlayfs option paths escape the separators', () => {
  assert.is(overlayPath('/a,b:c\\d'), '/a\\,b\\:c\\\\d');
  assert.is(overlayPath('/opt/joblet/runtimes/python-3.11/1.0.0/rootfs/etc'), '/opt/joblet/runtimes/python-3.11/1.0.0/rootfs/etc');
});

test('a runtime root must be a real directory with a real usr: a symlinked usr could hand a job the host', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'joblet-rtroot-'));
  try {
    const good = path.join(tmp, 'good');
    fs.mkdirSync(path.join(good, 'usr'), { recursive: true });
    checkRuntimeRootfs(good);
    const evil = path.join(tmp, 'evil');
    fs.mkdirSync(evil);
    fs.symlinkSync('/', path.join(evil, 'usr'));
    assert.throws(() => checkRuntimeRootfs(evil), /has no usr directory \(or it is a symlink\)/);
    fs.symlinkSync(good, path.join(tmp, 'link'));
    assert.throws(() => checkRuntimeRootfs(path.join(tmp, 'link')), /is not a directory/);
    assert.throws(() => checkRuntimeRootfs('relative/rootfs'), /must be a normalized absolute path/);
    assert.throws(() => checkRuntimeRootfs(`${good}/../good`), /must be a normalized absolute path/);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test.run();
