/**
 * joblet_<version>_amd64.deb, made with dpkg-deb from a staged tree (no debhelper): the layout of
 * layout.mjs, the documentation Debian policy asks for, debconf questions, and maintainer
 * scripts with the shared shell library inlined (packaging/deb/).
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { clampTree, DESCRIPTION, file, installedKiB, MAINTAINER, PACKAGING, PackageError, ROOT, run, stage, SUMMARY, text, withMaintLibrary } from './common.mjs';
import { installedFiles } from './layout.mjs';
import { debianCopyright } from './notices.mjs';

const DEB = path.join(PACKAGING, 'deb');

/** What the daemon runs (ip, nft, mkfs.ext4, losetup and mount) and what runtimes use. */
// util-linux is essential: versioned for losetup --associated and nsenter as the daemon and scripts use them.
const DEPENDS = ['iproute2', 'nftables', 'e2fsprogs', 'util-linux (>= 2.36)', 'mount', 'debconf (>= 0.5) | debconf-2.0', 'init-system-helpers (>= 1.54~)'];
const RECOMMENDS = ['mmdebstrap | debootstrap', 'ca-certificates'];

/** Libraries the executable links against, as dpkg-shlibdeps computes them (libc6, libstdc++6, libgcc-s1). */
function sharedLibraryDepends(exe, work) {
  const dir = path.join(work, 'shlibdeps');
  fs.mkdirSync(path.join(dir, 'debian'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'debian', 'control'), 'Source: joblet\n\nPackage: joblet\nArchitecture: amd64\n');
  const out = run('dpkg-shlibdeps', ['-O', '--warnings=0', exe], { cwd: dir, hint: 'apt-get install dpkg-dev' });
  const m = /^shlibs:Depends=(.*)$/m.exec(out);
  if (!m) throw new PackageError(`dpkg-shlibdeps printed no dependencies: ${out}`);
  return m[1].split(',').map((s) => s.trim());
}

/** Debian changelog of a native package: one entry for this version. */
function changelog(version, epoch) {
  const date = new Date(epoch * 1000).toUTCString().replace(/GMT$/, '+0000');
  return `joblet (${version}) unstable; urgency=medium\n\n  * Release ${version}.\n\n -- ${MAINTAINER}  ${date}\n`;
}

/** Gzip for /usr/share/doc: maximum compression, no name or time in the header (reproducible). */
function gz(content) {
  return zlib.gzipSync(content, { level: 9 });
}

/** Build the .deb into `outDir`; returns its path. */
export function buildDeb({ version, epoch, outDir, work, fast }) {
  const root = path.join(work, 'deb-root');
  const entries = [
    ...installedFiles('deb', version),
    text('usr/share/doc/joblet/copyright', debianCopyright()),
    text('usr/share/doc/joblet/changelog.gz', gz(changelog(version, epoch))),
    text('usr/share/doc/joblet/README.md.gz', gz(fs.readFileSync(path.join(ROOT, 'README.md')))),
    file('usr/share/lintian/overrides/joblet', path.join(DEB, 'lintian-overrides')),
  ];
  stage(root, entries);
  const depends = [...sharedLibraryDepends(path.join(root, 'usr/lib/joblet/joblet'), work), ...DEPENDS];
  const control = [
    'Package: joblet',
    `Version: ${version}`,
    'Architecture: amd64',
    `Maintainer: ${MAINTAINER}`,
    `Installed-Size: ${installedKiB(root)}`,
    `Depends: ${depends.join(', ')}`,
    `Recommends: ${RECOMMENDS.join(', ')}`,
    'Section: admin',
    'Priority: optional',
    `Description: ${SUMMARY}`,
    ...DESCRIPTION.map((l) => ` ${l}`),
    '',
  ].join('\n');
  const debian = path.join(root, 'DEBIAN');
  fs.mkdirSync(debian, { mode: 0o755 });
  fs.writeFileSync(path.join(debian, 'control'), control);
  fs.copyFileSync(path.join(DEB, 'templates'), path.join(debian, 'templates'));
  fs.copyFileSync(path.join(DEB, 'config'), path.join(debian, 'config'));
  for (const s of ['postinst', 'prerm', 'postrm']) fs.writeFileSync(path.join(debian, s), withMaintLibrary(path.join(DEB, s)));
  for (const s of ['config', 'postinst', 'prerm', 'postrm']) fs.chmodSync(path.join(debian, s), 0o755);
  for (const s of ['control', 'templates']) fs.chmodSync(path.join(debian, s), 0o644);
  fs.writeFileSync(path.join(debian, 'md5sums'), md5sums(root));
  fs.chmodSync(path.join(debian, 'md5sums'), 0o644);
  clampTree(root, epoch);
  const out = path.join(outDir, `joblet_${version}_amd64.deb`);
  const compress = fast ? ['-Zgzip', '-z1'] : ['-Zxz', '-z6'];
  run('dpkg-deb', ['--root-owner-group', ...compress, '--build', root, out], { env: { SOURCE_DATE_EPOCH: String(epoch) }, hint: 'apt-get install dpkg' });
  fs.rmSync(root, { recursive: true, force: true });
  return out;
}

/** DEBIAN/md5sums: every regular file outside DEBIAN/, sorted. */
function md5sums(root) {
  const lines = [];
  const walk = (rel) => {
    const p = path.join(root, rel);
    const st = fs.lstatSync(p);
    if (st.isDirectory()) {
      for (const e of fs.readdirSync(p).sort()) if (!(rel === '' && e === 'DEBIAN')) walk(path.join(rel, e));
    } else if (st.isFile()) {
      lines.push(`${createHash('md5').update(fs.readFileSync(p)).digest('hex')}  ${rel}`);
    }
  };
  walk('');
  return lines.join('\n') + '\n';
}
