/**
 * Entry of the single executable (build.mjs makes it the SEA's main script). It only picks which
 * embedded bundle to run: a job's init stage loads `init` (the sandbox code alone, with a code
 * cache compiled eagerly) and everything else loads `main` (src/main.ts: the CLI, the daemon and
 * admin tooling). A bundle is an asset `<part>.cjs` compiled with its V8 code cache
 * `<part>.cache`; the cache is only a speed-up (V8 checks it and compiles normally if it does not
 * fit). Outside a single executable, src/main.ts is the entry and this file is not used.
 */
import * as path from 'node:path';
import * as vm from 'node:vm';
import { INIT_STAGE_ARG } from './shared/self';

/** The CommonJS wrapper around a bundle; build.mjs produces each code cache for exactly this text. */
export function wrapBundle(source: string): string {
  return `(function (exports, require, module, __filename, __dirname) {${source}\n})`;
}

function run(part: string): void {
  const sea = require('node:sea') as { getAsset(key: string, encoding?: string): string | ArrayBuffer };
  const source = wrapBundle(sea.getAsset(`${part}.cjs`, 'utf8') as string);
  let cachedData: Buffer | undefined;
  try {
    cachedData = Buffer.from(sea.getAsset(`${part}.cache`) as ArrayBuffer);
  } catch {
    cachedData = undefined; // built without one: compile from source
  }
  const filename = path.join(path.dirname(process.execPath), `${part}.cjs`);
  const fn = new vm.Script(source, { filename, cachedData }).runInThisContext() as (...args: unknown[]) => void;
  const module = { exports: {} };
  fn(module.exports, require, module, filename, path.dirname(filename));
}

run(process.argv[2] === INIT_STAGE_ARG ? 'init' : 'main');
