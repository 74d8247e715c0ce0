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

/** `<daemon's cgroup>/<instance>` in every mounted hierarchy (the parent of its job cgroups). */
export function instanceCgroupDirs(daemonPid: number, instance: string): string[] {
  const mounts = fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [pre, post = ''] = line.split(' - ');
      const f = post.split(' ');
      return { point: pre!.split(' ')[4]!, fstype: f[0]!, opts: (f[2] ?? '').split(',') };
    });
  const dirs: string[] = [];
  for (const line of fs.readFileSync(`/proc/${daemonPid}/cgroup`, 'utf8').split('\n').filter(Boolean)) {
    const [, ctrls = '', cgPath = '/'] = line.split(/:(.*?):/);
    const want = ctrls.split(',').filter((c) => c && !c.startsWith('name='));
    if (ctrls.startsWith('name=')) continue;
    const m = want.length === 0 ? mounts.find((x) => x.fstype === 'cgroup2') : mounts.find((x) => x.fstype === 'cgroup' && want.every((c) => x.opts.includes(c)));
    if (!m) continue;
    // On v2 the daemon moves itself into a "<instance>-daemon" leaf; its jobs sit beside it.
    let own = path.join(m.point, cgPath);
    if (path.basename(own) === `${instance}-daemon`) own = path.dirname(own);
    dirs.push(path.join(own, instance));
  }
  return dirs;
}

/** Remove what a daemon left of its instance: each `<own>/<instance>` given and, on cgroup v2, the
 * `<instance>-daemon` leaf it sat in (which it cannot remove itself); only empty cgroups go. */
export function removeInstanceCgroups(dirs: string[]): void {
  for (const dir of dirs) for (const d of [dir, `${dir}-daemon`]) removeEmptyCgroupTree(d);
}
