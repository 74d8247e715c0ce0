/** The shared apt cache stays under its cap, dropping the packages builds used least recently. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { evict, touchUsed } from '../../src/daemon/runtimes/cache';

test('used packages are kept, the least recently used go until the cache fits', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'joblet-cache-'));
  try {
    const old = new Date(Date.now() - 3600_000);
    const files = ['a_1.0_amd64.deb', 'b_1%3a2.0-1_all.deb', 'c_3_amd64.deb', 'lock'];
    for (const f of files) {
      fs.writeFileSync(path.join(dir, f), Buffer.alloc(1000));
      fs.utimesSync(path.join(dir, f), old, old);
    }
    fs.utimesSync(path.join(dir, 'c_3_amd64.deb'), new Date(Date.now() - 7200_000), new Date(Date.now() - 7200_000));
    touchUsed(dir, { b: '1:2.0-1', missing: '1' }, 'amd64');
    assert.equal(evict(dir, 5000), { files: 0, bytes: 0 }, 'under the cap: nothing goes');
    assert.equal(evict(dir, 1500), { files: 2, bytes: 2000 });
    assert.equal(fs.readdirSync(dir).sort(), ['b_1%3a2.0-1_all.deb', 'lock'], 'the one used last stays; other files are not the cache\'s');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
