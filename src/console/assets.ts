/**
 * The console's page, script and style sheet. build.mjs builds them with esbuild into
 * dist/console/ (listed in manifest.json) and embeds each as a single-executable asset named
 * `console/<file>`; run as a plain script (tests under tsx, dist/joblet.cjs) they are read from
 * the nearest dist/console/ above this file. Each is gzipped once, on first use, and served with
 * an ETag so that a reload costs a 304.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { JobletError } from '../shared/errors';
import { isSingleExecutable } from '../shared/self';

/** One servable file. */
export interface Asset {
  type: string;
  body: Buffer;
  gzip: Buffer;
  etag: string;
}

/** manifest.json written by build.mjs: file name → content type. */
interface Manifest {
  files: Record<string, string>;
}

/** Prefix of the console's single-executable asset keys. */
export const ASSET_PREFIX = 'console/';

/** Reads the console's files once, from the executable or from dist/console/. */
export class Assets {
  private readonly cache = new Map<string, Asset>();
  private readonly manifest: Manifest;
  private readonly read: (name: string) => Buffer;

  constructor() {
    if (isSingleExecutable()) {
      const sea = require('node:sea') as { getAsset(key: string): ArrayBuffer };
      this.read = (name) => Buffer.from(sea.getAsset(ASSET_PREFIX + name));
    } else {
      const dir = findBuiltDir();
      this.read = (name) => fs.readFileSync(path.join(dir, name));
    }
    try {
      this.manifest = JSON.parse(this.read('manifest.json').toString('utf8')) as Manifest;
    } catch (err) {
      throw new JobletError('INTERNAL', `the console's files are missing from this build (${(err as Error).message}); rebuild with 'npm run build'`);
    }
  }

  /** The file served at `/<name>`, or undefined. */
  get(name: string): Asset | undefined {
    const hit = this.cache.get(name);
    if (hit) return hit;
    const type = Object.hasOwn(this.manifest.files, name) ? this.manifest.files[name] : undefined;
    if (type === undefined || name === 'manifest.json') return undefined;
    const body = this.read(name);
    const asset: Asset = { type, body, gzip: gzipSync(body, { level: 9 }), etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` };
    this.cache.set(name, asset);
    return asset;
  }
}

/** dist/console above this file (src/console/ under tsx, dist/ for the bundle). */
function findBuiltDir(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    for (const candidate of [path.join(dir, 'console'), path.join(dir, 'dist', 'console')]) {
      if (fs.existsSync(path.join(candidate, 'manifest.json'))) return candidate;
    }
    if (path.dirname(dir) === dir) break;
  }
  throw new JobletError('INTERNAL', `cannot find dist/console/manifest.json above ${__dirname}; run 'npm run build'`);
}
