/**
 * Official Node binaries for other platforms, from the npm registry: fetched on demand with
 * `npm pack` (never as dependencies every `npm ci` would download), checked against the integrity
 * pinned in build/client-node.json, and kept unpacked (NODE_CACHE) so that later builds and test runs
 * do not fetch them again.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT } from './common.mjs';

/**
 * Where unpacked Node binaries are kept between builds: $JOBLET_NODE_CACHE, else
 * node_modules/.cache/joblet-node. The tarballs also stay in npm's own cache (~/.npm), which
 * `npm pack --prefer-offline` reads first, so a CI that keeps either fetches nothing again.
 */
export const NODE_CACHE = process.env.JOBLET_NODE_CACHE ? path.resolve(process.env.JOBLET_NODE_CACHE) : path.join(ROOT, 'node_modules', '.cache', 'joblet-node');

/**
 * Path of `bin` (e.g. "bin/node.exe") inside npm package `name@version`, fetching and unpacking it
 * first if it is not cached. `integrity` is the registry's sha512 of the tarball ("sha512-...").
 */
export function platformNode({ name, version, integrity, bin }) {
  const dir = path.join(NODE_CACHE, `${name}-${version}`);
  const file = path.join(dir, bin);
  if (fs.existsSync(file)) return file;
  fs.mkdirSync(NODE_CACHE, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(NODE_CACHE, `.fetch-${name}-`));
  try {
    const r = spawnSync('npm', ['pack', `${name}@${version}`, '--pack-destination', tmp, '--silent', '--json', '--prefer-offline'], { encoding: 'utf8', env: process.env, maxBuffer: 16 << 20 });
    if (r.status !== 0) {
      const why = (r.stderr || '').trim().split('\n').slice(-3).join(' ');
      if (/E404|ETARGET|No matching version/.test(why)) {
        throw new Error(
          `the npm registry has no ${name}@${version}: every client executable is made from Node ${version} (build/client-node.json), so this platform lacks it. ` +
            'Run `node build/client-node.mjs` to see the versions every platform has, and `--write` to pin one',
        );
      }
      throw new Error(`npm pack ${name}@${version} failed (${r.status ?? r.error?.message}): ${why}`);
    }
    const tgz = fs.readdirSync(tmp).find((f) => f.endsWith('.tgz'));
    if (!tgz) throw new Error(`npm pack ${name}@${version} wrote no tarball`);
    const got = `sha512-${createHash('sha512').update(fs.readFileSync(path.join(tmp, tgz))).digest('base64')}`;
    if (got !== integrity) throw new Error(`${name}@${version} from the registry has integrity ${got}, not the pinned ${integrity}`);
    const unpacked = path.join(tmp, 'out');
    fs.mkdirSync(unpacked);
    const x = spawnSync('tar', ['-xzf', path.join(tmp, tgz), '-C', unpacked, `package/${bin}`], { encoding: 'utf8' });
    if (x.status !== 0) throw new Error(`cannot unpack ${bin} from ${tgz}: ${(x.stderr || x.error?.message || '').trim()}`);
    fs.chmodSync(path.join(unpacked, 'package', bin), 0o755);
    fs.rmSync(dir, { recursive: true, force: true });
    // Renamed into place whole: a build that is interrupted never leaves half a binary in the cache.
    fs.renameSync(path.join(unpacked, 'package'), dir);
    return file;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
