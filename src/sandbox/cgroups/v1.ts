/**
 * cgroup v1: one directory per job in each hierarchy carrying cpu, cpuacct, cpuset, memory, pids,
 * blkio or freezer (co-mounted controllers such as "cpu,cpuacct" share one directory). Kill-all
 * freezes the job (freezer.state), SIGKILLs every member, thaws, and repeats until empty.
 */
import * as path from 'node:path';
import { BaseJobCgroup, BaseManager, type CgroupContext, type JobDir } from './base';
import { killByFreezing, type Freezer } from './kill';
import {
  CPU_PERIOD_USEC,
  cpuQuotaUsec,
  limitFailure,
  parseKeyed,
  parseNumber,
  validateLimits,
  writeLimit,
} from './limits';
import type { CgroupLimits, CgroupPressure, CgroupStats, JobCgroup } from './manager';
import type { Hierarchy } from './mounts';
import { definedStats, parseBlkioBytes, parseThrottling, parseV1Limit } from './stats';

/** A job's cgroup on a v1 host. */
export class V1JobCgroup extends BaseJobCgroup {
  // The v1 controller each limit needs.
  private dirForLimit(limit: keyof CgroupLimits, value: unknown, controller: string): string {
    const dir = this.v1Dir(controller);
    if (dir === undefined) {
      throw limitFailure(limit, value, `the '${controller}' cgroup v1 controller is not mounted on this host (see /proc/self/mountinfo)`);
    }
    return dir;
  }

  setLimits(limits: CgroupLimits): void {
    validateLimits(limits);
    const fs = this.ctx.fs;
    const { cpuPercent, cpuCores, memoryBytes, ioBps, pids } = limits;
    if (cpuPercent !== undefined) {
      const dir = this.dirForLimit('cpuPercent', cpuPercent, 'cpu');
      // Period first: the kernel checks a new quota against the current period.
      writeLimit(fs, 'cpuPercent', cpuPercent, path.join(dir, 'cpu.cfs_period_us'), String(CPU_PERIOD_USEC));
      writeLimit(fs, 'cpuPercent', cpuPercent, path.join(dir, 'cpu.cfs_quota_us'), String(cpuQuotaUsec(cpuPercent)));
    }
    if (cpuCores !== undefined) {
      const dir = this.dirForLimit('cpuCores', cpuCores, 'cpuset');
      writeLimit(fs, 'cpuCores', cpuCores, path.join(dir, 'cpuset.cpus'), cpuCores);
    }
    if (memoryBytes !== undefined) this.setMemory(this.dirForLimit('memoryBytes', memoryBytes, 'memory'), memoryBytes);
    if (ioBps !== undefined) {
      const dir = this.dirForLimit('ioBps', ioBps, 'blkio');
      // One device per write: the kernel parses a single "MAJ:MIN value" rule per write(2).
      for (const dev of ioBps.devices) {
        writeLimit(fs, 'ioBps', ioBps, path.join(dir, 'blkio.throttle.read_bps_device'), `${dev} ${ioBps.bps}`);
        writeLimit(fs, 'ioBps', ioBps, path.join(dir, 'blkio.throttle.write_bps_device'), `${dev} ${ioBps.bps}`);
      }
    }
    if (pids !== undefined) {
      writeLimit(fs, 'pids', pids, path.join(this.dirForLimit('pids', pids, 'pids'), 'pids.max'), String(pids));
    }
  }

  // memory.limit_in_bytes plus, with swap accounting, memory.memsw.limit_in_bytes (memory + swap) at
  // the same value so the job cannot spill into swap. The kernel keeps limit <= memsw at every step,
  // so raising writes memsw first and lowering writes it last.
  private setMemory(dir: string, bytes: number): void {
    const fs = this.ctx.fs;
    const limitFile = path.join(dir, 'memory.limit_in_bytes');
    const memswFile = path.join(dir, 'memory.memsw.limit_in_bytes');
    const memsw = fs.readIfExists(memswFile);
    if (memsw === undefined) {
      writeLimit(fs, 'memoryBytes', bytes, limitFile, String(bytes));
      return;
    }
    const order = BigInt(bytes) > BigInt(memsw.trim()) ? [memswFile, limitFile] : [limitFile, memswFile];
    for (const file of order) writeLimit(fs, 'memoryBytes', bytes, file, String(bytes));
  }

  stats(): CgroupStats {
    const fs = this.ctx.fs;
    const read = (controller: string, file: string) => {
      const dir = this.v1Dir(controller);
      return dir === undefined ? undefined : fs.readIfExists(path.join(dir, file));
    };
    const usageNs = parseNumber(read('cpuacct', 'cpuacct.usage'));
    const io = parseBlkioBytes(read('blkio', 'blkio.throttle.io_service_bytes'));
    return definedStats({
      cpuUsageUsec: usageNs === undefined ? this.fallbackCpuUsec() : Math.floor(usageNs / 1000),
      memoryPeakBytes: parseNumber(read('memory', 'memory.max_usage_in_bytes')),
      memoryCurrentBytes: parseNumber(read('memory', 'memory.usage_in_bytes')),
      oomKills: parseKeyed(read('memory', 'memory.oom_control')).get('oom_kill'),
      pidsCurrent: parseNumber(read('pids', 'pids.current')),
      memoryLimitBytes: parseV1Limit(read('memory', 'memory.limit_in_bytes')),
      ioReadBytes: io?.read,
      ioWriteBytes: io?.write,
      ...parseThrottling(read('cpu', 'cpu.stat')),
      pressure: this.pressure(),
    });
  }

  /** CPU usage when no cpuacct hierarchy exists (hybrid reads the cgroup2 cpu.stat). */
  protected fallbackCpuUsec(): number | undefined {
    return undefined;
  }

  /** Pressure stall information: v1 keeps none per cgroup (hybrid reads its cgroup2 directory). */
  protected pressure(): CgroupPressure | undefined {
    return undefined;
  }

  /** The v1 freezer of this job, if the freezer controller is mounted. */
  protected freezer(): Freezer | undefined {
    const dir = this.v1Dir('freezer');
    if (dir === undefined) return undefined;
    const fs = this.ctx.fs;
    const state = path.join(dir, 'freezer.state');
    return {
      freeze: () => fs.write(state, 'FROZEN'),
      // FREEZING until every task has stopped; killing before that could miss a forking task.
      frozen: () => fs.read(state).trim() === 'FROZEN',
      thaw: () => fs.write(state, 'THAWED'),
    };
  }

  async killAll(): Promise<void> {
    await killByFreezing(() => this.pids(), this.freezer(), this.dirs[0]?.dir ?? this.jobId, this.ctx.killTimeoutMs);
  }
}

/** Manager for hosts with only v1 hierarchies. */
export class V1Manager extends BaseManager {
  readonly kind: 'v1' | 'hybrid' = 'v1';

  constructor(ctx: CgroupContext, instance: string, hierarchies: Hierarchy[]) {
    super(ctx, instance, hierarchies);
    this.ensureParents();
  }

  // An empty cpuset refuses tasks (ENOSPC on join), so a new cpuset cgroup gets its parent's CPUs and
  // memory nodes before anything joins it.
  protected override prepareDir(h: Hierarchy, dir: string): void {
    if (h.version !== 1 || !h.controllers.includes('cpuset')) return;
    const fs = this.ctx.fs;
    const parent = path.dirname(dir);
    for (const file of ['cpuset.cpus', 'cpuset.mems']) {
      if (fs.read(path.join(dir, file)).trim() !== '') continue;
      let value = fs.read(path.join(parent, file)).trim();
      if (value === '') value = fs.read(path.join(parent, file.replace('cpuset.', 'cpuset.effective_'))).trim();
      fs.write(path.join(dir, file), value);
    }
  }

  protected makeJob(jobId: string, dirs: JobDir[]): JobCgroup {
    return new V1JobCgroup(this.ctx, jobId, dirs);
  }
}
