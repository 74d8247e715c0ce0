/**
 * Node single executables: the SEA blob (made by a Node of exactly the target's version: the blob
 * format is versioned, not per platform, see build/clients.mjs) and its injection with postject
 * into a copy of the target's official Node binary, written under a temporary name and renamed
 * into place only once complete.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import { SEA_FUSE, cleanEnv, removeIfPresent } from './common.mjs';

const require = createRequire(import.meta.url);

/**
 * Write the SEA config and make the blob with `node`. `assets`: key → file. `execArgvExtension`
 * 'none' keeps NODE_OPTIONS from adding flags (Node ≥ 24.6 knows the field; leave it out for older).
 */
export function makeBlob({ node, main, blob, config, assets, useCodeCache, execArgvExtension }) {
  const sea = {
    main,
    output: blob,
    disableExperimentalSEAWarning: true,
    useSnapshot: false,
    useCodeCache,
    ...(execArgvExtension ? { execArgvExtension } : {}),
    assets,
  };
  fs.writeFileSync(config, JSON.stringify(sea, null, 2) + '\n');
  removeIfPresent(blob);
  const r = spawnSync(node, ['--experimental-sea-config', config], { encoding: 'utf8', env: cleanEnv() });
  if (r.status !== 0 || !fs.existsSync(blob)) {
    throw new Error(`${node} --experimental-sea-config exited ${r.status ?? r.signal}: ${(r.stderr || r.stdout || r.error?.message || '').trim()}`);
  }
}

/**
 * Copy `base` to `out` with `blob` injected as NODE_SEA_BLOB. `prepare(bytes)` may rewrite the copy
 * before injection and `finish(bytes)` after it (a signature to drop or to write); both return the
 * new bytes. Mach-O gets the NODE_SEA segment Node looks for there.
 */
export async function inject({ base, out, blob, macho = false, prepare, finish }) {
  const { inject: postject } = require('postject');
  const tmp = `${out}.tmp-${process.pid}`;
  removeIfPresent(tmp);
  try {
    let bytes = fs.readFileSync(base);
    if (prepare) bytes = prepare(bytes);
    fs.writeFileSync(tmp, bytes, { mode: 0o755 });
    fs.chmodSync(tmp, 0o755);
    // postject logs harmless LIEF notes to the console; keep the build summary readable.
    const log = console.log;
    const warn = console.warn;
    const captured = [];
    console.log = console.warn = (...args) => captured.push(args.join(' '));
    try {
      await postject(tmp, 'NODE_SEA_BLOB', fs.readFileSync(blob), { sentinelFuse: SEA_FUSE, ...(macho ? { machoSegmentName: 'NODE_SEA' } : {}) });
    } catch (err) {
      throw new Error(`${err instanceof Error ? err.message : String(err)}${captured.length ? `\n${captured.join('\n')}` : ''}`);
    } finally {
      console.log = log;
      console.warn = warn;
    }
    if (finish) fs.writeFileSync(tmp, finish(fs.readFileSync(tmp)));
    // rename() publishes only a complete binary; a process still running the old one keeps its inode.
    fs.renameSync(tmp, out);
  } finally {
    removeIfPresent(tmp);
  }
}
