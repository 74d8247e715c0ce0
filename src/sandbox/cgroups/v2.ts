/**
 * cgroup v2 (unified). Job cgroups live at `<own>/<instance>/job-<id>`, where <own> is the daemon's
 * own cgroup. Limits need the controllers (cpu, cpuset, io, memory, pids — those offered) enabled in
 * `<own>/cgroup.subtree_control` and then in `<own>/<instance>/cgroup.subtree_control`.
 *
 * The "no internal processes" rule: a non-root cgroup that holds processes cannot enable
 * controllers for its children (EBUSY). When that happens at start-up the manager moves the daemon
 * itself — only its own pid — into the leaf `<own>/<instance>-daemon` and retries once. If <own>
 * still holds other processes (say, the shell that started the daemon), jobs are still tracked and
 * killable (cgroup.kill needs no controller), but setLimits throws for any limit whose controller
 * could not be enabled, saying why: "cgroup <own> has processes; run joblet in a delegated cgroup
 * (systemd Delegate=yes)". A systemd service with Delegate=yes is exactly the case the move solves.
 */
import * as path from 'node:path';
import { describeError, SyscallError } from '../../shared/errors';
import { BaseJobCgroup, BaseManager, type CgroupContext, type JobDir } from './base';
import { killByFreezing, killViaCgroupKill, populated, type Freezer } from './kill';
import { CPU_PERIOD_USEC, cpuQuotaUsec, limitFailure, parseKeyed, parseNumber, validateLimits, writeLimit } from './limits';
import type { CgroupLimits, CgroupStats, JobCgroup } from './manager';
import type { Hierarchy } from './mounts';
import { definedStats, parseIoStat, parseThrottling, readPressure } from './stats';

/** Controllers joblet enables for job cgroups when the host offers them. */
export const V2_CONTROLLERS = ['cpu', 'cpuset', 'io', 'memory', 'pids'] as const;

/** Why each unusable controller cannot be used (absent key = enabled for job cgroups). */
export type Unavailable = ReadonlyMap<string, string>;

/** A job's cgroup on a v2 host. */
export class V2JobCgroup extends BaseJobCgroup {
  constructor(ctx: CgroupContext, jobId: string, dirs: JobDir[], private readonly unavailable: Unavailable) {
    super(ctx, jobId, dirs);
  }

  private get dir(): string {
    return this.dirs[0].dir;
  }

  private need(limit: keyof CgroupLimits, value: unknown, controller: string): void {
    const reason = this.unavailable.get(controller);
    if (reason !== undefined) throw limitFailure(limit, value, reason);
  }

  setLimits(limits: CgroupLimits): void {
    validateLimits(limits);
    const fs = this.ctx.fs;
    const file = (name: string) => path.join(this.dir, name);
    const { cpuPercent, cpuCores, memoryBytes, ioBps, pids } = limits;
    if (cpuPercent !== undefined) {
      this.need('cpuPercent', cpuPercent, 'cpu');
      writeLimit(fs, 'cpuPercent', cpuPercent, file('cpu.max'), `${cpuQuotaUsec(cpuPercent)} ${CPU_PERIOD_USEC}`);
    }
    if (cpuCores !== undefined) {
      this.need('cpuCores', cpuCores, 'cpuset');
      writeLimit(fs, 'cpuCores', cpuCores, file('cpuset.cpus'), cpuCores);
    }
    if (memoryBytes !== undefined) {
      this.need('memoryBytes', memoryBytes, 'memory');
      writeLimit(fs, 'memoryBytes', memoryBytes, file('memory.max'), String(memoryBytes));
      // Without swap accounting the file is absent and there is no swap to spill into via this cgroup.
      if (fs.exists(file('memory.swap.max'))) writeLimit(fs, 'memoryBytes', memoryBytes, file('memory.swap.max'), '0');
    }
    if (ioBps !== undefined) {
      this.need('ioBps', ioBps, 'io');
      // io.max takes one device rule per write(2).
      for (const dev of ioBps.devices) {
        writeLimit(fs, 'ioBps', ioBps, file('io.max'), `${dev} rbps=${ioBps.bps} wbps=${ioBps.bps}`);
      }
    }
    if (pids !== undefined) {
      this.need('pids', pids, 'pids');
      writeLimit(fs, 'pids', pids, file('pids.max'), String(pids));
    }
  }

  stats(): CgroupStats {
    const read = (name: string) => this.ctx.fs.readIfExists(path.join(this.dir, name));
    const cpuStat = read('cpu.stat');
    const io = parseIoStat(read('io.stat'));
    return definedStats({
      cpuUsageUsec: parseKeyed(cpuStat).get('usage_usec'),
      // memory.peak arrived in Linux 5.19; older kernels leave the peak unknown.
      memoryPeakBytes: parseNumber(read('memory.peak')),
      memoryCurrentBytes: parseNumber(read('memory.current')),
      oomKills: parseKeyed(read('memory.events')).get('oom_kill'),
      pidsCurrent: parseNumber(read('pids.current')),
      // "max" (no limit) parses as undefined.
      memoryLimitBytes: parseNumber(read('memory.max')),
      ioReadBytes: io?.read,
      ioWriteBytes: io?.write,
      ...parseThrottling(cpuStat),
      pressure: readPressure(this.ctx.fs, this.dir),
    });
  }

  async killAll(): Promise<void> {
    const fs = this.ctx.fs;
    if (fs.exists(path.join(this.dir, 'cgroup.kill'))) {
      await killViaCgroupKill(fs, this.dir, this.ctx.killTimeoutMs);
      return;
    }
    // Before Linux 5.14: the v2 freezer (5.2+) lets SIGKILL through to frozen tasks.
    const freezeFile = path.join(this.dir, 'cgroup.freeze');
    const freezer: Freezer | undefined = fs.exists(freezeFile)
      ? {
          freeze: () => fs.write(freezeFile, '1'),
          frozen: () => /^frozen 1$/m.test(fs.read(path.join(this.dir, 'cgroup.events'))),
          thaw: () => fs.write(freezeFile, '0'),
        }
      : undefined;
    await killByFreezing(() => (populated(fs, this.dir) ? this.pids() : []), freezer, this.dir, this.ctx.killTimeoutMs);
  }
}

/** Manager for unified (v2-only) hosts. */
export class V2Manager extends BaseManager {
  readonly kind = 'v2' as const;
  private readonly unavailable = new Map<string, string>();

  /** daemonPid is the process moved into the `<instance>-daemon` leaf if <own> refuses controllers. */
  constructor(ctx: CgroupContext, instance: string, hierarchy: Hierarchy, daemonPid: number) {
    super(ctx, instance, [hierarchy]);
    this.ensureParents();
    this.enableControllers(hierarchy, daemonPid);
  }

  /** Controllers that job cgroups cannot use, each with the reason. */
  get unavailableControllers(): Unavailable {
    return this.unavailable;
  }

  // Tries to enable each controller in dir; returns the failures by controller.
  private enable(dir: string, controllers: string[]): Map<string, SyscallError | Error> {
    const failed = new Map<string, SyscallError | Error>();
    for (const c of controllers) {
      // One controller per write, so a refusal names the controller it is about.
      try {
        this.ctx.fs.write(path.join(dir, 'cgroup.subtree_control'), `+${c}`);
      } catch (err) {
        failed.set(c, err as Error);
      }
    }
    return failed;
  }

  private enableControllers(h: Hierarchy, daemonPid: number): void {
    const fs = this.ctx.fs;
    const own = h.ownDir;
    const offered = fs.read(path.join(own, 'cgroup.controllers')).split(/\s+/);
    const wanted: string[] = [];
    for (const c of V2_CONTROLLERS) {
      if (offered.includes(c)) wanted.push(c);
      else this.unavailable.set(c, `the '${c}' controller is not delegated to cgroup ${own} (missing from its cgroup.controllers)`);
    }
    const busy = (err: Error | undefined) => err instanceof SyscallError && err.errno === 'EBUSY';
    let failed = this.enable(own, wanted);
    if ([...failed.values()].some(busy)) {
      const moved = this.moveDaemon(h, daemonPid);
      if (moved === undefined) failed = this.enable(own, [...failed.keys()]);
      for (const [c, err] of failed) {
        if (busy(err)) {
          const why = moved === undefined ? '' : ` (moving the daemon out failed: ${moved})`;
          failed.set(c, new Error(`cgroup ${own} has processes${why}; run joblet in a delegated cgroup (systemd Delegate=yes)`));
        }
      }
    }
    for (const [c, err] of failed) this.unavailable.set(c, `cannot enable the '${c}' controller: ${describeError(err)}`);
    const parent = this.parentDir(h);
    const inOwn = wanted.filter((c) => !failed.has(c));
    for (const [c, err] of this.enable(parent, inOwn)) {
      this.unavailable.set(c, `cannot enable the '${c}' controller: ${describeError(err)}`);
    }
  }

  // Moves only the daemon's own process into <own>/<instance>-daemon; returns why that failed, if it did.
  private moveDaemon(h: Hierarchy, pid: number): string | undefined {
    const leaf = path.join(h.ownDir, `${this.instance}-daemon`);
    try {
      if (!this.ctx.fs.exists(leaf)) this.ctx.fs.mkdir(leaf);
      this.ctx.fs.write(path.join(leaf, 'cgroup.procs'), String(pid));
      return undefined;
    } catch (err) {
      return describeError(err);
    }
  }

  protected makeJob(jobId: string, dirs: JobDir[]): JobCgroup {
    return new V2JobCgroup(this.ctx, jobId, dirs, this.unavailable);
  }
}
