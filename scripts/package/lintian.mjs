/**
 * lintian on the .deb, judged one way for `npm run package -- --lintian` and the package test:
 * every error or warning that packaging/deb/lintian-overrides does not override is a problem, and
 * so is an override that no longer matches anything (the list stays minimal). lintian's own
 * verdict is switched off (--fail-on none): with --show-overrides it counts overridden tags too.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PACKAGING } from './common.mjs';

/** The overrides file the .deb installs as /usr/share/lintian/overrides/joblet. */
export const OVERRIDES = path.join(PACKAGING, 'deb', 'lintian-overrides');

/** Arguments for lintian: every tag down to info, overridden ones shown, none cut off. */
export function lintianArgs(deb) {
  return ['--display-info', '--show-overrides', '--tag-display-limit', '0', '--fail-on', 'none', deb];
}

/**
 * Judge lintian's output. Returns { problems, overridden }: problems are the lines that fail the
 * package (E:, W:, and unused or mismatched overrides); overridden are the O: lines.
 */
export function judgeLintian(output) {
  const problems = [];
  const overridden = [];
  for (const line of output.split('\n')) {
    const m = /^([A-Z]): \S+(?: \S+)?: (\S+)/.exec(line);
    if (!m) continue;
    const [, level, tag] = m;
    if (level === 'O') overridden.push(line);
    else if (level === 'E' || level === 'W' || /^(unused|mismatched)-override$/.test(tag)) problems.push(line);
  }
  return { problems, overridden };
}

/**
 * Each override with its reason: the comment block right above it (one block may serve several
 * consecutive overrides). Throws if an override has none.
 */
export function documentedOverrides() {
  const out = [];
  let reason = [];
  let afterOverride = false;
  for (const line of fs.readFileSync(OVERRIDES, 'utf8').split('\n')) {
    if (line.trim() === '') {
      reason = [];
    } else if (line.startsWith('#')) {
      if (afterOverride) reason = [];
      reason.push(line.replace(/^#\s?/, ''));
    } else {
      if (!reason.length) throw new Error(`packaging/deb/lintian-overrides: "${line}" has no comment above it saying why`);
      out.push({ line, tag: line.split(/\s+/)[1], reason: reason.join(' ') });
    }
    afterOverride = line.trim() !== '' && !line.startsWith('#');
  }
  return out;
}
