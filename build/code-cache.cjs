/**
 * Makes the V8 code cache of each part (src/shared/parts.ts). Run by the Node the executable is
 * made from (V8 accepts a cache only from its own version and flags), never by the build's Node:
 *
 *   <target node> build/code-cache.cjs [--warm | --eager] dist/parts/rnx.js ...
 *
 * Writes NAME.cache beside each NAME.js. Without --warm the cache holds what V8 compiles eagerly
 * (the top level). With --warm the part is also run as src/shared/parts.ts runs it, and then its
 * `warmUp` export, if any, is called: the functions that ran are compiled by then and go into the
 * cache too, so a command does not compile them again at every start. With --eager every function
 * of the part is compiled (--no-lazy) without running it: a job's init stage, started ahead in the
 * warm pool, then runs its checklist without compiling anything once the job's spec arrives.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');

const args = process.argv.slice(2);
const warm = args[0] === '--warm';
const eager = args[0] === '--eager';
for (const file of warm || eager ? args.slice(1) : args) {
  const source = fs.readFileSync(file).toString('latin1');
  if (eager) require('node:v8').setFlagsFromString('--no-lazy');
  const script = new vm.Script(source, { filename: file });
  // Back to the default before the cache is taken: V8 accepts a cache only under the flags it was made with.
  if (eager) require('node:v8').setFlagsFromString('--lazy');
  if (warm) {
    const module = { exports: {} };
    script.runInThisContext().call(module.exports, module.exports, require, module, file, path.dirname(file));
    if (typeof module.exports.warmUp === 'function') module.exports.warmUp();
  }
  const out = file.replace(/\.js$/, '.cache');
  fs.writeFileSync(out, script.createCachedData());
}
