/**
 * The web console's page (src/console/ui), built by esbuild into dist/console/ and embedded in an
 * executable as the assets "console/<file>" (src/console/assets.ts serves them). Used by build.mjs
 * and build/clients.mjs: every executable with `rnx admin` carries it.
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { ROOT } from './common.mjs';

const require = createRequire(import.meta.url);
const CONSOLE_SRC = path.join(ROOT, 'src', 'console', 'ui');
/** Where the console is built. */
export const CONSOLE_OUT = path.join(ROOT, 'dist', 'console');
/** What the console's files may weigh together, gzipped (the budget for an embedded console). */
const CONSOLE_BUDGET_GZ = 300 * 1024;
/** Content types of the console's files, by extension. */
const CONSOLE_TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml' };

/**
 * Build the console's page into dist/console/: app.js and app.css bundled and minified by esbuild
 * (Preact, no source maps shipped), charts.js (uPlot) beside them for the pages with charts to
 * import when they first show one, index.html and favicon.svg copied, and manifest.json listing
 * every file with its content type. Built beside and renamed into place, so a running console
 * never reads a half-written directory. Fails when the gzipped total is over budget.
 */
export async function buildConsole() {
  const esbuild = require('esbuild');
  const zlib = require('node:zlib');
  const tmp = `${CONSOLE_OUT}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp, { recursive: true });
  await esbuild.build({
    entryPoints: { app: path.join(CONSOLE_SRC, 'main.tsx'), charts: path.join(CONSOLE_SRC, 'charts-lib.ts') },
    // chart.tsx imports the built charts.js by its URL when a chart first shows: two bundles
    // that share nothing, so a page without charts makes no request beyond app.js and app.css.
    outdir: tmp,
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    // Browsers of the last few years: <dialog>, optional chaining, EventSource.
    target: ['chrome100', 'firefox100', 'safari15.4'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    tsconfig: path.join(CONSOLE_SRC, 'tsconfig.json'),
    legalComments: 'eof',
    charset: 'utf8',
    logLevel: 'warning',
  }).catch((err) => {
    if (Array.isArray(err?.errors)) throw new Error(`esbuild reported ${err.errors.length} error(s) in the console, shown above`);
    throw err;
  });
  for (const f of ['index.html', 'favicon.svg']) fs.copyFileSync(path.join(CONSOLE_SRC, f), path.join(tmp, f));
  const files = {};
  const sizes = [];
  for (const f of fs.readdirSync(tmp).sort()) {
    const type = CONSOLE_TYPES[path.extname(f)];
    if (!type) throw new Error(`unexpected file ${f} in the console build`);
    files[f] = type;
    const raw = fs.readFileSync(path.join(tmp, f));
    sizes.push([f, raw.length, zlib.gzipSync(raw, { level: 9 }).length]);
  }
  fs.writeFileSync(path.join(tmp, 'manifest.json'), JSON.stringify({ files }, null, 2) + '\n');
  fs.rmSync(CONSOLE_OUT, { recursive: true, force: true });
  fs.renameSync(tmp, CONSOLE_OUT);
  const gz = sizes.reduce((n, [, , g]) => n + g, 0);
  if (gz > CONSOLE_BUDGET_GZ) throw new Error(`the console weighs ${gz} bytes gzipped, over its budget of ${CONSOLE_BUDGET_GZ}`);
  return sizes;
}

/** The console's files as SEA assets: "console/<file>" → path. */
export function consoleAssets() {
  const out = {};
  for (const f of fs.readdirSync(CONSOLE_OUT)) out[`console/${f}`] = path.join(CONSOLE_OUT, f);
  return out;
}
