/**
 * The bundles of an executable (src/shared/parts.ts): a small entry (the SEA's main script) and
 * one part per personality, each a self-contained esbuild bundle wrapped as a CommonJS function,
 * plus the V8 code cache of each part, made by the Node the executable is made from.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { ROOT, cleanEnv } from './common.mjs';

const require = createRequire(import.meta.url);

/** What the client's part must not contain: daemon, sandbox, store, koffi (DESIGN §9). */
export const CLIENT_FORBIDDEN = ['src/daemon/', 'src/sandbox/', 'src/store/', 'node_modules/koffi/'];

/** What src/shared/parts.ts runs a part's file as: CommonJS's module wrapper around the bundle. */
const WRAP_HEAD = '(function (exports, require, module, __filename, __dirname) {';
const WRAP_TAIL = '})';

/** Build time (RFC3339), or $SOURCE_DATE_EPOCH's for reproducible builds; the daemon reports it in GetSystemStatus. */
function buildDate() {
  const epoch = Number(process.env.SOURCE_DATE_EPOCH);
  return new Date(Number.isFinite(epoch) && epoch > 0 ? epoch * 1000 : Date.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** esbuild options every bundle shares. */
function common(version, commit) {
  return {
    absWorkingDir: ROOT,
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'cjs',
    // Linked maps next to the bundles: `node --enable-source-maps dist/parts/main.cjs` maps stacks
    // to src/; they are not embedded in the executable, which keeps the blob (and its parse) small.
    sourcemap: 'linked',
    // Node builtins are external on platform node. koffi is never imported as JS (src/sandbox/libc
    // dlopens the embedded .node itself); external so its loader, which searches node_modules at
    // run time, is never bundled — and an import of it is rejected below.
    external: ['koffi'],
    define: { JOBLET_VERSION: JSON.stringify(version), JOBLET_COMMIT: JSON.stringify(commit), JOBLET_BUILD_DATE: JSON.stringify(buildDate()) },
    // Third-party license headers stay in the shipped bundle.
    legalComments: 'eof',
    // ASCII only (esbuild escapes the rest): src/shared/parts.ts decodes a part as latin1, which is
    // exact for ASCII and needs no UTF-8 decoding at start-up.
    charset: 'ascii',
    minifyWhitespace: true,
    logLevel: 'warning',
    metafile: true,
  };
}

/** Throw esbuild's failure as one message (esbuild has already printed each error with its source). */
function esbuildFailure(err) {
  if (Array.isArray(err?.errors)) throw new Error(`esbuild reported ${err.errors.length} error(s), shown above`);
  throw err;
}

/**
 * Inside a SEA, require() resolves built-in modules only: a surviving require('koffi') would build
 * fine and then throw at run time on the first syscall. (require.resolve is allowed: the libc
 * loader uses it to find koffi.node in node_modules when not running as a SEA.)
 */
function refuseKoffiImports(metafile) {
  for (const output of Object.values(metafile.outputs)) {
    const koffi = output.imports.find((i) => i.external && i.kind !== 'require-resolve' && /^koffi(\/|$)/.test(i.path));
    if (koffi) throw new Error(`the bundle imports '${koffi.path}'; load koffi only through src/sandbox/libc (process.dlopen of the embedded asset)`);
  }
}

/**
 * Bundle `main` (name → entry, the SEA's main script, written as NAME.cjs) and `parts` (name →
 * entry, written as NAME.js wrapped for src/shared/parts.ts) into `outdir`. Returns, per file, its
 * path and the number of source modules in it. `forbid`: part name → source folders (and packages)
 * it must not contain.
 */
export async function bundle({ outdir, main, parts, version, commit, forbid = {} }) {
  const esbuild = require('esbuild');
  const opts = common(version, commit);
  fs.mkdirSync(outdir, { recursive: true });
  const mainResult = await esbuild.build({ ...opts, entryPoints: main, outdir, outExtension: { '.js': '.cjs' } }).catch(esbuildFailure);
  const partResult = await esbuild
    .build({ ...opts, entryPoints: parts, outdir, banner: { js: WRAP_HEAD }, footer: { js: WRAP_TAIL } })
    .catch(esbuildFailure);
  const files = {};
  for (const result of [mainResult, partResult]) {
    refuseKoffiImports(result.metafile);
    for (const [out, meta] of Object.entries(result.metafile.outputs)) {
      if (out.endsWith('.map')) continue;
      const name = path.basename(out).replace(/\.c?js$/, '');
      const inputs = Object.keys(meta.inputs);
      for (const dir of forbid[name] ?? []) {
        const bad = inputs.find((i) => i.startsWith(dir));
        if (bad) throw new Error(`${path.basename(out)} contains ${bad}; it must not contain anything under ${dir}`);
      }
      files[name] = { file: path.join(ROOT, out), modules: inputs.length };
    }
  }
  for (const name of Object.keys(parts)) checkAscii(files[name].file);
  return files;
}

/** A part must be pure ASCII (see charset above); name the first byte that is not. */
function checkAscii(file) {
  const bytes = fs.readFileSync(file);
  const at = bytes.findIndex((b) => b > 0x7f);
  if (at >= 0) {
    const line = bytes.subarray(0, at).toString('latin1').split('\n').length;
    throw new Error(`${path.relative(ROOT, file)} has a non-ASCII byte at line ${line}; parts are decoded as latin1 (src/shared/parts.ts)`);
  }
}

/**
 * Make NAME.cache beside each part file with `node` (it must be the very Node the executable is
 * made from: V8 refuses a cache from another version or flags). `warm`: part files to run (and
 * whose warmUp export to call) before the cache is taken, so the code they ran is cached too.
 * `eager`: part files compiled whole (every function) without being run.
 */
export function codeCache(node, files, { warm = [], eager = [] } = {}) {
  const script = path.join(ROOT, 'build', 'code-cache.cjs');
  const plain = files.filter((f) => !warm.includes(f) && !eager.includes(f));
  const runs = [plain, ['--warm', ...warm], ['--eager', ...eager]].filter((a) => a.length > 0 && !/^--/.test(a.at(-1)));
  for (const args of runs) {
    const r = spawnSync(node, [script, ...args], { cwd: ROOT, encoding: 'utf8', env: cleanEnv() });
    if (r.status !== 0) throw new Error(`${node} ${script} exited ${r.status ?? r.signal}: ${(r.stderr || r.error?.message || '').trim()}`);
  }
  return files.map((f) => f.replace(/\.js$/, '.cache'));
}
