/**
 * Makes the V8 code cache of each part (src/shared/parts.ts). Run by the Node the executable is
 * made from (V8 accepts a cache only from its own version and flags), never by the build's Node:
 *
 *   <target node> build/code-cache.cjs [--warm] dist/parts/rnx.js ...
 *
 * Writes NAME.cache beside each NAME.js. Without --warm the cache holds what V8 compiles eagerly
 * (the top level). With --warm the part is also run as src/shared/parts.ts runs it, and then its
 * `warmUp` export, if any, is called: the functions that ran are compiled by then and go into the
 * cache too, so a command does not compile them again at every start.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');

const args = process.argv.slice(2);
const warm = args[0] === '--warm';
for (const file of warm ? args.slice(1) : args) {
  const source = fs.readFileSync(file).toString('latin1');
  const script = new vm.Script(source, { filename: file });
  if (warm) {
    const module = { exports: {} };
    script.runInThisContext().call(module.exports, module.exports, require, module, file, path.dirname(file));
    if (typeof module.exports.warmUp === 'function') module.exports.warmUp();
  }
  const out = file.replace(/\.js$/, '.cache');
  fs.writeFileSync(out, script.createCachedData());
}
