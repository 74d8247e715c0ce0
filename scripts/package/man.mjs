/**
 * Manual pages: rnx(1) generated from the client's own help (`rnx help`, then every command's
 * `rnx help COMMAND`), so it always matches the build; joblet(8) is packaging/man/joblet.8.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { DIST, PACKAGING, PackageError } from './common.mjs';

function rnx(args) {
  const r = spawnSync(path.join(DIST, 'rnx'), args, { encoding: 'utf8', env: { PATH: process.env.PATH, HOME: '/nonexistent', NO_COLOR: '1' } });
  if (r.status !== 0) throw new PackageError(`dist/rnx ${args.join(' ')} failed (${r.status}): ${r.stderr.trim()}`);
  return r.stdout;
}

/** Text as roff that is printed as is: backslashes, leading dots and quotes, minus signs escaped. */
function verbatim(text) {
  return text
    .replace(/\\/g, '\\e')
    .replace(/-/g, '\\-')
    .split('\n')
    .map((l) => (/^[.']/.test(l) ? `\\&${l}` : l))
    .join('\n');
}

/** The command words `rnx help` lists (the first column of each command row). */
function commandNames(general) {
  const names = [];
  for (const line of general.split('\n')) {
    const m = /^ {2}([a-z][a-z-]*(?: [a-z][a-z-]*)?)\s{2,}\S/.exec(line);
    if (m && !m[1].endsWith(' COMMAND') && !names.includes(m[1])) names.push(m[1]);
  }
  return names;
}

/** rnx.1, gzipped (no name or time in the header). */
export function rnxManPage(version) {
  const general = rnx(['help']);
  const sections = commandNames(general).map((c) => `.SS rnx ${verbatim(c)}\n.nf\n${verbatim(rnx(['help', ...c.split(' ')]).trimEnd())}\n.fi`);
  const page = [
    `.TH RNX 1 "" "joblet ${version}" "User Commands"`,
    '.SH NAME',
    'rnx \\- the joblet client: run commands in isolated jobs on a joblet server',
    '.SH SYNOPSIS',
    '.B rnx',
    '[\\fIGLOBAL FLAGS\\fR] \\fICOMMAND\\fR [\\fIARGS\\fR...]',
    '.SH DESCRIPTION',
    '.nf',
    verbatim(general.trimEnd()),
    '.fi',
    '.SH COMMANDS',
    ...sections,
    '.SH FILES',
    'rnx reads its config from \\fB\\-\\-config\\fR, else \\fB$RNX_CONFIG\\fR, \\fI./rnx\\-config.yml\\fR,',
    '\\fI~/.rnx/rnx\\-config.yml\\fR, \\fI/etc/joblet/rnx\\-config.yml\\fR, \\fI/opt/joblet/config/rnx\\-config.yml\\fR.',
    '.SH SEE ALSO',
    '.BR joblet (8),',
    '/usr/share/doc/joblet/README.md.gz',
    '',
  ].join('\n');
  return zlib.gzipSync(page, { level: 9 });
}

/** joblet.8, gzipped. */
export function jobletManPage() {
  const page = fs.readFileSync(path.join(PACKAGING, 'man', 'joblet.8'), 'utf8');
  if (!page.startsWith('.TH JOBLET 8')) throw new PackageError('packaging/man/joblet.8 does not start with its .TH line');
  return zlib.gzipSync(page, { level: 9 });
}
