/**
 * The console's built files (dist/console, made by `npm run build`, which `npm test` runs first):
 * the page loads its script and style from the console itself, holds no inline script or style
 * (the CSP forbids them), and nothing outside the manifest is served.
 */
import { gunzipSync } from 'node:zlib';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Assets } from '../../src/console/assets';

const assets = new Assets();

test('the page: its own script and style, nothing inline, nothing from elsewhere', () => {
  const html = assets.get('index.html')!.body.toString('utf8');
  assert.match(html, /<script type="module" src="\/app\.js"><\/script>/);
  assert.match(html, /<link rel="stylesheet" href="\/app\.css">/);
  // Every <script> has a src; no inline handlers or style attributes; no other host.
  assert.not.match(html, /<script(?![^>]*\bsrc=)[^>]*>/);
  assert.not.match(html, /\son[a-z]+=|\sstyle=/i);
  assert.not.match(html, /https?:\/\//);
  const js = assets.get('app.js')!;
  assert.is(js.type, 'text/javascript; charset=utf-8');
  assert.not.match(js.body.toString('utf8'), /https?:\/\/(?!www\.w3\.org)[a-z]/i);
});

test('uPlot is charts.js, apart from app.js, which imports it only by its URL', () => {
  const app = assets.get('app.js')!.body.toString('utf8');
  const charts = assets.get('charts.js')!;
  assert.is(charts.type, 'text/javascript; charset=utf-8');
  // uPlot's own class names are in charts.js only; app.js names the file, to import it on demand.
  assert.match(charts.body.toString('utf8'), /u-legend/);
  assert.match(charts.body.toString('utf8'), /export\s*\{\s*\w+ as default\s*\}/);
  assert.not.match(app, /u-legend/);
  assert.match(app, /"\/charts\.js"/);
  assert.not.match(charts.body.toString('utf8'), /https?:\/\/(?!www\.w3\.org)[a-z]/i);
});

test('served gzipped with a strong ETag; unknown names and the manifest are not served', () => {
  const css = assets.get('app.css')!;
  assert.equal(gunzipSync(css.gzip), css.body);
  assert.match(css.etag, /^"[A-Za-z0-9_-]{22}"$/);
  for (const name of ['manifest.json', '../package.json', 'nope.js', '']) assert.is(assets.get(name), undefined, name);
});

test.run();
