/**
 * The apt cache every build of this host shares (`runtimes.aptCacheDir`): packages downloaded once
 * are installed from it by later builds and other daemons. It is kept under `runtimes.aptCacheMaxMB`
 * by dropping the packages used least recently (a build marks what it installed as used).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Marks the cache files of `installed` (name → version) as used now. */
export function touchUsed(dir: string, installed: Record<string, string>, arch: string): void {
  const now = new Date();
  for (const [name, version] of Object.entries(installed)) {
    const v = version.replace(/:/g, '%3a');
    for (const a of [arch, 'all']) {
      try {
        fs.utimesSync(path.join(dir, `${name}_${v}_${a}.deb`), now, now);
        break;
      } catch {
        /* not cached under this architecture */
      }
    }
  }
}

/** Deletes the least recently used .deb files until the cache holds at most `maxBytes`; returns what was freed. */
export function evict(dir: string, maxBytes: number): { files: number; bytes: number } {
  let entries: { file: string; size: number; used: number }[];
  try {
    entries = fs
      .readdirSync(dir)
      .filter((n) => n.endsWith('.deb'))
      .map((n) => {
        const st = fs.lstatSync(path.join(dir, n));
        return { file: path.join(dir, n), size: st.isFile() ? st.size : 0, used: st.mtimeMs };
      });
  } catch {
    return { files: 0, bytes: 0 };
  }
  let total = entries.reduce((n, e) => n + e.size, 0);
  const freed = { files: 0, bytes: 0 };
  for (const e of entries.sort((a, b) => a.used - b.used)) {
    if (total <= maxBytes) break;
    fs.rmSync(e.file, { force: true });
    total -= e.size;
    freed.files++;
    freed.bytes += e.size;
  }
  return freed;
}
