/** Clean-up of cgroup directories that a killed daemon could not remove itself (tests and bench). */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** rmdir a cgroup tree bottom-up; busy or non-empty cgroups stay. */
export function removeEmptyCgroupTree(dir: string): void {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) if (e.isDirectory()) removeEmptyCgroupTree(path.join(dir, e.name));
  try {
    fs.rmdirSync(dir);
  } catch {
    /* still has processes, or already gone */
  }
}
