// test:serial — removes the shared koffi.node every daemon of this host extracts: alone, so no other test's job starts in between.
/**
 * A cleaned cache directory does not break a running daemon: when the koffi.node it extracted
 * (and hands to each job's init stage) is removed, the next job still starts and the file is back.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TestDaemon } from '../helpers/daemon';

const CACHE = '/var/cache/joblet';

let d: TestDaemon;
test.before(async () => {
  d = await TestDaemon.start();
});
test.after(async () => {
  await d?.destroy();
});

const extracted = () => (fs.existsSync(CACHE) ? fs.readdirSync(CACHE).filter((f) => /^koffi-[0-9a-f]+\.node$/.test(f)) : []);

test('jobs still start after the extracted koffi.node was removed under the daemon', async () => {
  const first = await d.rnx(['run', '--wait', '--network=none', 'echo', 'before']);
  assert.is(first.code, 0, first.stderr);
  const files = extracted();
  assert.ok(files.length > 0, `the daemon extracted koffi.node into ${CACHE}`);
  for (const f of files) fs.rmSync(path.join(CACHE, f));
  const after = await d.rnx(['run', '--wait', '--network=none', 'echo', 'after']);
  assert.is(after.code, 0, after.stderr);
  assert.is(after.stdout, 'after\n');
  assert.ok(extracted().length > 0, 'extracted again');
});

test.run();
