/**
 * The executable's parts. Each personality is its own bundle, so a process compiles and
 * initialises only the code of what it is: `rnx` (the client), `joblet` (daemon and admin
 * tooling) and `init` (a job's sandbox init stage). build.mjs writes them as dist/parts/NAME.js,
 * each already wrapped as a CommonJS function, and embeds them in the executable as the assets
 * `parts/NAME.js`, with the V8 code cache the pinned Node made for each as `parts/NAME.cache`
 * (absent for targets whose Node cannot be run at build time: the part is then compiled normally).
 * Run as a plain script (`node dist/parts/main.cjs`), the same files are read from beside it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vm from 'node:vm';
import { isSingleExecutable } from './self';
import { trace, tracing } from './trace';

/** The bundles an executable may carry. */
export type PartName = 'rnx' | 'joblet' | 'init';

/** The function a part's file holds: CommonJS's module wrapper around the bundle. */
type Wrapper = (exports: object, req: NodeJS.Require, module: { exports: object }, filename: string, dirname: string) => void;

/** The raw bytes of an embedded asset, or undefined when the executable has none of that name. */
function rawAsset(key: string): Buffer | undefined {
  const sea = require('node:sea') as { getRawAsset(key: string): ArrayBuffer };
  try {
    // getRawAsset maps the executable's bytes without copying them.
    return Buffer.from(sea.getRawAsset(key));
  } catch {
    return undefined;
  }
}

/**
 * Load part `name` and return its exports. In an executable: compile the embedded source with
 * its code cache (V8 checks the cache against its own version, flags and the source, and falls
 * back to compiling when it does not fit); otherwise read dist/parts/NAME.js beside this file.
 */
export function loadPart(name: PartName): unknown {
  const t0 = tracing ? performance.now() : 0;
  const embedded = isSingleExecutable();
  const file = embedded ? `${process.execPath}:parts/${name}.js` : path.join(__dirname, `${name}.js`);
  const bytes = embedded ? rawAsset(`parts/${name}.js`) : fs.readFileSync(file);
  if (!bytes) throw new Error(`this executable has no part '${name}' (it was built without it)`);
  const cachedData = embedded ? rawAsset(`parts/${name}.cache`) : readIfPresent(path.join(__dirname, `${name}.cache`));
  // The bundle is ASCII (esbuild escapes the rest), so latin1 decodes it exactly and cheaply.
  const script = new vm.Script(bytes.toString('latin1'), { filename: file, cachedData });
  const wrapper = script.runInThisContext() as Wrapper;
  const module = { exports: {} };
  wrapper.call(module.exports, module.exports, require, module, file, path.dirname(file));
  if (!tracing) return module.exports;
  const cache = cachedData ? (script.cachedDataRejected ? 'rejected' : 'accepted') : 'none';
  trace(`part ${name}: ${(bytes.length / 1024).toFixed(0)} KiB, code cache ${cache}${cachedData ? ` (${(cachedData.length / 1024).toFixed(0)} KiB)` : ''}, loaded in ${(performance.now() - t0).toFixed(1)} ms`);
  return module.exports;
}

function readIfPresent(file: string): Buffer | undefined {
  try {
    return fs.readFileSync(file);
  } catch {
    return undefined;
  }
}
