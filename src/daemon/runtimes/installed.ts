/**
 * The runtimes on disk: `<stateDir>/runtimes/<name>/<version>/{runtime.yml,rootfs/}`, plus the
 * staging area of builds (`.build/`) and of replaced runtimes (`.trash/`), both emptied at start-up
 * (what is there belongs to a build or a removal that a crash interrupted).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describeError } from '../../shared/errors';
import { MANIFEST_FILE, readManifest, type Manifest } from './manifest';
import { RUNTIME_NAME } from './yaml';
import { STAGING } from './build';

/** Directory of replaced or removed runtimes waiting to be deleted. */
export const TRASH = '.trash';

/** One installed runtime version. */
export interface Installed {
  name: string;
  version: string;
  /** `<runtimes>/<name>/<version>`. */
  dir: string;
  /** Its root filesystem. */
  rootfs: string;
  manifest?: Manifest;
  /** Why it cannot be used (unreadable manifest, missing rootfs). */
  problem?: string;
  /** Jobs using it now. */
  users: Set<string>;
  removing?: boolean;
}

/** `name@version`, the key of an installed runtime and what jobs record. */
export function runtimeKey(name: string, version: string): string {
  return `${name}@${version}`;
}

/** Reads every installed runtime; leftovers of interrupted builds and removals are deleted. */
export function scanRuntimes(dir: string, log: (msg: string) => void): Installed[] {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (const leftover of [STAGING, TRASH]) {
    const p = path.join(dir, leftover);
    if (fs.existsSync(p) && fs.readdirSync(p).length > 0) log(`runtimes: removing ${p}, left over from an interrupted build or removal`);
    fs.rmSync(p, { recursive: true, force: true });
  }
  const out: Installed[] = [];
  for (const name of fs.readdirSync(dir).sort()) {
    if (!RUNTIME_NAME.test(name) || !fs.lstatSync(path.join(dir, name)).isDirectory()) continue;
    for (const version of fs.readdirSync(path.join(dir, name)).sort()) {
      const vdir = path.join(dir, name, version);
      if (!fs.lstatSync(vdir).isDirectory()) continue;
      out.push(loadInstalled(vdir, name, version));
    }
  }
  return out;
}

/** One runtime directory; a problem is recorded, not thrown, so the runtime can still be listed and removed. */
export function loadInstalled(vdir: string, name: string, version: string): Installed {
  const entry: Installed = { name, version, dir: vdir, rootfs: path.join(vdir, 'rootfs'), users: new Set() };
  try {
    const m = readManifest(path.join(vdir, MANIFEST_FILE));
    if (m.name !== name || m.version !== version) throw new Error(`it describes ${m.name} ${m.version}`);
    entry.manifest = m;
    if (!fs.lstatSync(entry.rootfs, { throwIfNoEntry: false })?.isDirectory()) entry.problem = 'its rootfs directory is missing';
  } catch (err) {
    entry.problem = `its ${MANIFEST_FILE} cannot be read: ${describeError(err)}`;
  }
  return entry;
}

/** Moves a runtime directory to the trash in one rename: from then on it is not installed. Returns where it went. */
export function moveToTrash(runtimesDir: string, dir: string, tag: string): string {
  const trash = path.join(runtimesDir, TRASH);
  fs.mkdirSync(trash, { recursive: true, mode: 0o700 });
  const target = path.join(trash, `${tag}-${Date.now()}`);
  fs.renameSync(dir, target);
  return target;
}

/** Deletes a trashed runtime without blocking the daemon; a crash meanwhile leaves it to the next start-up. */
export async function emptyTrash(target: string, log: (msg: string) => void): Promise<void> {
  await fs.promises.rm(target, { recursive: true, force: true }).catch((err) => log(`runtimes: cannot delete ${target}: ${describeError(err)}`));
}
