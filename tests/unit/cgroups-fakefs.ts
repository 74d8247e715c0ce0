/**
 * A fake cgroupfs in a temp dir for the cgroup unit tests. FakeKernelFs behaves like the kernel where
 * the managers depend on it: mkdir creates the interface files of the hierarchy's controllers,
 * cgroup.procs lists only live pids and moving a pid removes it from its old cgroup, enabling a
 * controller in a v2 cgroup holding processes fails with EBUSY, cgroup.kill SIGKILLs the members,
 * and a v1 cpuset cgroup with no CPUs refuses tasks (ENOSPC).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SyscallError } from '../../src/shared/errors';
import { CgroupFs } from '../../src/sandbox/cgroups/fs';

/** One fake hierarchy: its mount point name under the root and its controllers ([] + v2 = cgroup2). */
export interface FakeMount {
  name: string;
  version: 1 | 2;
  controllers: string[];
  /** The test process's own cgroup path in this hierarchy, as /proc/self/cgroup shows it. */
  ownPath: string;
}

const V2_FILES: Record<string, Record<string, string>> = {
  cpu: { 'cpu.max': 'max 100000\n', 'cpu.weight': '100\n' },
  cpuset: { 'cpuset.cpus': '\n', 'cpuset.mems': '\n' },
  io: { 'io.max': '' },
  memory: {
    'memory.max': 'max\n',
    'memory.swap.max': 'max\n',
    'memory.current': '0\n',
    'memory.peak': '0\n',
    'memory.events': 'low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n',
  },
  pids: { 'pids.max': 'max\n', 'pids.current': '0\n' },
};

const V1_FILES: Record<string, Record<string, string>> = {
  cpu: { 'cpu.cfs_period_us': '100000\n', 'cpu.cfs_quota_us': '-1\n', 'cpu.shares': '1024\n' },
  cpuacct: { 'cpuacct.usage': '0\n' },
  cpuset: { 'cpuset.cpus': '\n', 'cpuset.mems': '\n', 'cpuset.effective_cpus': '\n', 'cpuset.effective_mems': '\n' },
  memory: {
    'memory.limit_in_bytes': '9223372036854771712\n',
    'memory.memsw.limit_in_bytes': '9223372036854771712\n',
    'memory.usage_in_bytes': '0\n',
    'memory.max_usage_in_bytes': '0\n',
    'memory.oom_control': 'oom_kill_disable 0\nunder_oom 0\noom_kill 0\n',
  },
  pids: { 'pids.max': 'max\n', 'pids.current': '0\n' },
  blkio: { 'blkio.throttle.read_bps_device': '', 'blkio.throttle.write_bps_device': '' },
  freezer: { 'freezer.state': 'THAWED\n' },
};

function alive(pid: number): boolean {
  try {
    // Field 3 of /proc/<pid>/stat is the state; a zombie has left every cgroup.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** CgroupFs over a temp dir that emulates the kernel's cgroupfs (see the file header). */
export class FakeKernelFs extends CgroupFs {
  /** Every write the managers made, in order: [path relative to root, data]. */
  readonly writes: Array<[string, string]> = [];
  /** When true, cgroup.kill is accepted but kills nothing (to test the timeout). */
  ignoreKill = false;

  constructor(
    root: string,
    private readonly mounts: FakeMount[],
  ) {
    super(root);
  }

  private mountOf(p: string): { mount: FakeMount; base: string } {
    const rel = path.relative(this.root, p).split(path.sep);
    const mount = this.mounts.find((m) => m.name === rel[0]);
    if (!mount) throw new Error(`fake cgroupfs: ${p} is in no mount`);
    return { mount, base: path.join(this.root, mount.name) };
  }

  /** Writes a file directly, as the kernel would update a counter. */
  set(p: string, data: string): void {
    fs.writeFileSync(p, data);
  }

  /** Creates the interface files of a cgroup directory. */
  populate(dir: string): void {
    const { mount, base } = this.mountOf(dir);
    const files: Record<string, string> = { 'cgroup.procs': '' };
    if (mount.version === 1) {
      Object.assign(files, { tasks: '', 'cgroup.clone_children': '0\n' });
      for (const c of mount.controllers) Object.assign(files, V1_FILES[c] ?? {});
    } else {
      const enabled = dir === base ? mount.controllers : this.controllersOf(path.join(dir, '..'), 'subtree');
      Object.assign(files, {
        'cgroup.controllers': enabled.join(' ') + '\n',
        'cgroup.subtree_control': '\n',
        'cgroup.events': 'populated 0\nfrozen 0\n',
        'cgroup.kill': '',
        'cgroup.freeze': '0\n',
        'cpu.stat': 'usage_usec 0\nuser_usec 0\nsystem_usec 0\n',
      });
      for (const c of enabled) Object.assign(files, V2_FILES[c] ?? {});
    }
    for (const [name, content] of Object.entries(files)) {
      if (!fs.existsSync(path.join(dir, name))) fs.writeFileSync(path.join(dir, name), content);
    }
  }

  private controllersOf(dir: string, which: 'subtree' | 'offered'): string[] {
    const file = which === 'subtree' ? 'cgroup.subtree_control' : 'cgroup.controllers';
    return fs.readFileSync(path.join(dir, file), 'utf8').split(/\s+/).filter(Boolean);
  }

  private livePids(procsFile: string): number[] {
    return fs
      .readFileSync(procsFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map(Number)
      .filter(alive);
  }

  override mkdir(p: string): void {
    super.mkdir(p);
    this.populate(p);
  }

  // The kernel removes a cgroup with its interface files, unless it has members or child cgroups.
  override rmdir(p: string): void {
    const abs = this.check(p);
    if (!fs.existsSync(abs)) throw new SyscallError('rmdir', abs, 'ENOENT');
    const busy =
      this.livePids(path.join(abs, 'cgroup.procs')).length > 0 ||
      fs.readdirSync(abs, { withFileTypes: true }).some((e) => e.isDirectory());
    if (busy) throw new SyscallError('rmdir', abs, 'EBUSY');
    fs.rmSync(abs, { recursive: true });
  }

  override readIfExists(p: string): string | undefined {
    const abs = this.check(p);
    if (!fs.existsSync(abs)) return undefined;
    const name = path.basename(abs);
    const dir = path.dirname(abs);
    if (name === 'cgroup.procs') return this.livePids(abs).map((pid) => `${pid}\n`).join('');
    if (name === 'cgroup.events') {
      const text = fs.readFileSync(abs, 'utf8');
      const populated = this.livePids(path.join(dir, 'cgroup.procs')).length > 0 ? 1 : 0;
      return text.replace(/^populated \d$/m, `populated ${populated}`);
    }
    return super.readIfExists(abs);
  }

  override read(p: string): string {
    const text = this.readIfExists(p);
    if (text === undefined) throw new SyscallError('read', path.resolve(p), 'ENOENT');
    return text;
  }

  override write(p: string, data: string): void {
    const abs = this.check(p);
    const name = path.basename(abs);
    const dir = path.dirname(abs);
    const fail = (errno: string) => new SyscallError('write', `${abs}, "${data}"`, errno);
    if (!fs.existsSync(abs)) throw fail('ENOENT');
    this.writes.push([path.relative(this.root, abs), data]);
    const { mount, base } = this.mountOf(abs);
    if (name === 'cgroup.procs') {
      if (mount.controllers.includes('cpuset') && mount.version === 1) {
        if (fs.readFileSync(path.join(dir, 'cpuset.cpus'), 'utf8').trim() === '') throw fail('ENOSPC');
      }
      this.removeEverywhere(base, Number(data));
      fs.appendFileSync(abs, `${Number(data)}\n`);
      return;
    }
    if (name === 'cgroup.subtree_control') {
      const c = data.replace(/^\+/, '');
      if (!this.controllersOf(dir, 'offered').includes(c)) throw fail('ENOENT');
      // The "no internal processes" rule, not applying to the root cgroup.
      if (dir !== base && this.livePids(path.join(dir, 'cgroup.procs')).length > 0) throw fail('EBUSY');
      const now = new Set([...this.controllersOf(dir, 'subtree'), c]);
      fs.writeFileSync(abs, [...now].join(' ') + '\n');
      for (const child of fs.readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory())) {
        const childDir = path.join(dir, child.name);
        fs.writeFileSync(path.join(childDir, 'cgroup.controllers'), [...now].join(' ') + '\n');
        this.populate(childDir);
      }
      return;
    }
    if (name === 'cgroup.kill') {
      if (!this.ignoreKill) {
        for (const pid of this.livePids(path.join(dir, 'cgroup.procs'))) process.kill(pid, 'SIGKILL');
      }
      return;
    }
    super.write(abs, data);
  }

  private removeEverywhere(dir: string, pid: number): void {
    const procs = path.join(dir, 'cgroup.procs');
    if (fs.existsSync(procs)) {
      const left = this.livePids(procs).filter((p) => p !== pid);
      fs.writeFileSync(procs, left.map((p) => `${p}\n`).join(''));
    }
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) this.removeEverywhere(path.join(dir, e.name), pid);
    }
  }
}

/** A fake host: the cgroup root, its kernel-like fs and the /proc texts that describe it. */
export interface FakeHost {
  root: string;
  fs: FakeKernelFs;
  mountinfo: string;
  procSelfCgroup: string;
  /** Directory of the test process's own cgroup in the named mount. */
  own(name: string): string;
  cleanup(): void;
}

/** Builds a fake host whose hierarchies are mounted at <tmp>/<name>, own cgroups already created. */
export function fakeHost(mounts: FakeMount[], rootFiles: { cpus?: string; mems?: string } = {}): FakeHost {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'joblet-cgroups-'));
  const kfs = new FakeKernelFs(root, mounts);
  const mountLines: string[] = [];
  const cgroupLines: string[] = [];
  mounts.forEach((m, i) => {
    const base = path.join(root, m.name);
    fs.mkdirSync(base);
    kfs.populate(base);
    if (m.controllers.includes('cpuset') && m.version === 1) {
      fs.writeFileSync(path.join(base, 'cpuset.cpus'), `${rootFiles.cpus ?? '0-3'}\n`);
      fs.writeFileSync(path.join(base, 'cpuset.mems'), `${rootFiles.mems ?? '0'}\n`);
    }
    let dir = base;
    for (const part of m.ownPath.split('/').filter(Boolean)) {
      // Ancestors enable everything for their children, as a delegating parent would.
      if (m.version === 2) fs.writeFileSync(path.join(dir, 'cgroup.subtree_control'), m.controllers.join(' ') + '\n');
      dir = path.join(dir, part);
      kfs.mkdir(dir);
      if (m.version === 1 && m.controllers.includes('cpuset')) {
        fs.copyFileSync(path.join(path.dirname(dir), 'cpuset.cpus'), path.join(dir, 'cpuset.cpus'));
        fs.copyFileSync(path.join(path.dirname(dir), 'cpuset.mems'), path.join(dir, 'cpuset.mems'));
      }
    }
    const id = 30 + i;
    if (m.version === 2) {
      mountLines.push(`${id} 22 0:${id} / ${base} rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate`);
      cgroupLines.push(`0::${m.ownPath}`);
    } else {
      const opts = ['rw', ...m.controllers].join(',');
      mountLines.push(`${id} 22 0:${id} / ${base} rw,nosuid,nodev,noexec,relatime shared:${id} - cgroup cgroup ${opts}`);
      cgroupLines.push(`${i + 1}:${m.controllers.join(',')}:${m.ownPath}`);
    }
  });
  return {
    root,
    fs: kfs,
    mountinfo: [
      '22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw',
      `23 22 0:21 / ${root} rw,nosuid,nodev,noexec shared:8 - tmpfs tmpfs rw,mode=755`,
      ...mountLines,
    ].join('\n') + '\n',
    procSelfCgroup: cgroupLines.reverse().join('\n') + '\n',
    own: (name) => path.join(root, name, ...mounts.find((m) => m.name === name)!.ownPath.split('/').filter(Boolean)),
    cleanup: () => fs.rmSync(root, { recursive: true, force: true }),
  };
}

const started: ChildProcess[] = [];

/** Starts `sleep 300` as a stand-in job process; killSleepers() ends any a test left behind. */
export function sleeper() {
  const child = spawn('sleep', ['300'], { stdio: 'ignore' });
  started.push(child);
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, sig) => resolve(sig)));
  return { pid: child.pid!, exited, child };
}

/** SIGKILLs every sleeper still running (for test.after.each, so a failed test leaves none). */
export function killSleepers(): void {
  for (const c of started.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}
