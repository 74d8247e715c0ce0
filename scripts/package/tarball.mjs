/**
 * joblet-<version>-linux-x64.tar.gz: the executable, the systemd unit, install.sh (which installs
 * from this directory when there is no source checkout around it), the shared maintainer library,
 * completions, README, LICENSE and the third-party notices. Reproducible: sorted names, clamped
 * times, root owner, gzip without a time stamp.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { clampTree, EXE, file, link, PACKAGING, ROOT, run, stage, text } from './common.mjs';
import { completion } from './layout.mjs';
import { noticesText } from './notices.mjs';

/** Build the tarball into `outDir`; returns its path. */
export function buildTarball({ version, epoch, outDir, work, fast }) {
  const name = `joblet-${version}-linux-x64`;
  const top = path.join(work, 'tar');
  stage(path.join(top, name), [
    file('joblet', EXE, 0o755),
    link('rnx', 'joblet'),
    file('install.sh', path.join(ROOT, 'install.sh'), 0o755),
    file('install-deps.sh', path.join(ROOT, 'scripts', 'install-deps.sh'), 0o755),
    file('joblet-maint', path.join(PACKAGING, 'joblet-maint.sh'), 0o755),
    file('joblet.service', path.join(PACKAGING, 'joblet.service')),
    text('completions/rnx.bash', completion('bash')),
    text('completions/_rnx', completion('zsh')),
    text('completions/rnx.fish', completion('fish')),
    file('README.md', path.join(ROOT, 'README.md')),
    file('LICENSE', path.join(ROOT, 'LICENSE')),
    text('THIRD-PARTY-NOTICES.txt', noticesText()),
  ]);
  clampTree(top, epoch);
  const out = path.join(outDir, `${name}.tar.gz`);
  const tmp = `${out}.tmp-${process.pid}`;
  run('sh', ['-c', `tar --sort=name --mtime=@${epoch} --owner=0 --group=0 --numeric-owner --format=gnu -C "$1" -cf - "$2" | gzip -n -${fast ? 1 : 6} > "$3"`, 'sh', top, name, tmp]);
  fs.renameSync(tmp, out);
  fs.rmSync(top, { recursive: true, force: true });
  return out;
}
