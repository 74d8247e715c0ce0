/**
 * Phase 4 of a build: its staging directory `<runtimes>/.build/<id>/`, owned by root except what the
 * build itself writes (the runtime's root and apt's state, owned by `runtimes.buildIdBase`), with
 * the sources, keyrings and scripts of its steps; and the shared apt cache made ready.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { JobletError } from '../../shared/errors';
import { aptConf, customizeScript, deriveScript, IN_BUILD, installScript, needsCustomize, resolveScript } from './build-script';
import type { BuildPlan } from './recipes';
import { formatEntry, hostAptOptions, hostArchitecture, trustedKeyrings, type SourceEntry } from './sources';
import { readInside } from './tree';

/** What prepareStaging lays out. */
export interface StagingInput {
  /** `<staging>/work`, bound at /work in every step. */
  work: string;
  plan: BuildPlan;
  /** An installed runtime the build starts from (derived build). */
  baseRootfs?: string;
  entries: SourceEntry[];
  suite: string;
  idBase: number;
  aptCacheDir: string;
  /** How long a step may wait for the shared cache. */
  lockSeconds: number;
}

/** Writes everything the build's steps read, and gives the build what it may write. */
export function prepareStaging(i: StagingInput): void {
  const { work, plan } = i;
  fs.mkdirSync(work, { mode: 0o755 });
  const apt = path.join(work, 'apt');
  for (const d of ['var/lib/apt/lists/partial', 'var/cache/apt/archives/partial', 'etc/apt/apt.conf.d', 'etc/apt/preferences.d', 'empty']) fs.mkdirSync(path.join(apt, d), { recursive: true });
  // A derived build resolves against what its base already has.
  fs.writeFileSync(path.join(apt, 'status'), i.baseRootfs ? (readInside(i.baseRootfs, 'var/lib/dpkg/status') ?? '') : '');
  const rootfs = path.join(work, 'rootfs');
  fs.mkdirSync(rootfs, { mode: 0o755 });
  for (const p of [rootfs, apt]) chownTree(p, i.idBase);
  const keyrings = path.join(work, 'keyrings');
  fs.mkdirSync(keyrings);
  trustedKeyrings().forEach((k, n) => fs.copyFileSync(k, path.join(keyrings, `trusted-${n}${path.extname(k)}`)));
  const lines = i.entries.map((e, n) => {
    if (!e.signedBy || e.signedBy.startsWith('/usr/')) return formatEntry(e);
    // A keyring outside /usr (or an inline key) is copied in: the build sees the host's /usr only.
    const inline = e.signedBy.includes('BEGIN PGP');
    const file = `signed-by-${n}${inline ? '.asc' : path.extname(e.signedBy) || '.gpg'}`;
    if (inline) fs.writeFileSync(path.join(keyrings, file), `${e.signedBy}\n`);
    else fs.copyFileSync(e.signedBy, path.join(keyrings, file));
    return formatEntry(e, `${IN_BUILD.keyrings}/${file}`);
  });
  fs.writeFileSync(path.join(work, 'sources.list'), `${lines.join('\n')}\n`);
  fs.writeFileSync(path.join(work, 'sources.chroot.list'), `${i.entries.map((e) => formatEntry(e, '')).join('\n')}\n`);
  const aptOptions = hostAptOptions();
  fs.writeFileSync(path.join(apt, 'apt.conf'), aptConf(hostArchitecture(), aptOptions));
  fs.writeFileSync(path.join(work, 'resolve.sh'), resolveScript(plan, !!i.baseRootfs));
  const lock = { aptOptions, cacheLockSeconds: i.lockSeconds };
  fs.writeFileSync(path.join(work, 'install.sh'), i.baseRootfs ? deriveScript(plan, lock) : installScript(plan, { ...lock, suite: i.suite }));
  if (needsCustomize(plan)) {
    fs.mkdirSync(path.join(work, 'hooks'));
    if (plan.hooks.preInstall) fs.writeFileSync(path.join(work, 'hooks', 'pre_install.sh'), plan.hooks.preInstall);
    if (plan.hooks.postInstall) fs.writeFileSync(path.join(work, 'hooks', 'post_install.sh'), plan.hooks.postInstall);
    fs.writeFileSync(path.join(work, 'customize.sh'), customizeScript(plan));
  }
  fs.mkdirSync(i.aptCacheDir, { recursive: true, mode: 0o755 });
  // The cache belongs to the builds' root; entries from a daemon with another buildIdBase are taken over.
  chownTree(i.aptCacheDir, i.idBase, 2);
}

/** cp -a of a trusted tree (an installed runtime) into an empty directory, keeping owners, modes and links. */
export async function copyTree(from: string, to: string): Promise<void> {
  const { execFile } = require('node:child_process') as typeof import('node:child_process');
  await new Promise<void>((resolve, reject) =>
    execFile('cp', ['-a', '--reflink=auto', '--', `${from}/.`, `${to}/`], { maxBuffer: 1 << 20 }, (err, _out, stderr) =>
      err ? reject(new JobletError('INTERNAL', `copying the base runtime failed: ${stderr.trim() || err.message}`)) : resolve(),
    ),
  );
}

/** chown a tree (to `depth` levels; Infinity: all) to uid = gid = id, without following symlinks. */
export function chownTree(dir: string, id: number, depth = Infinity): void {
  const visit = (p: string, d: number) => {
    const st = fs.lstatSync(p);
    if (st.uid !== id || st.gid !== id) fs.lchownSync(p, id, id);
    if (st.isDirectory() && d > 0) for (const n of fs.readdirSync(p)) visit(path.join(p, n), d - 1);
  };
  visit(dir, depth);
}
