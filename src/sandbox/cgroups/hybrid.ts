/**
 * Hybrid hosts: v1 hierarchies carry every controller, and a controller-less cgroup2 mount (e.g.
 * /sys/fs/cgroup/unified) still offers cgroup.kill and cgroup.events. Each job gets a v1 directory
 * per hierarchy (limits, stats) plus a cgroup2 directory (tracking and atomic kill); its init joins
 * all of them, so procsFiles lists every one.
 */
import * as path from 'node:path';
import type { JobDir } from './base';
import { killByFreezing, killViaCgroupKill } from './kill';
import { parseKeyed } from './limits';
import type { CgroupPressure, JobCgroup } from './manager';
import { readPressure } from './stats';
import { V1JobCgroup, V1Manager } from './v1';

/** A job's cgroup on a hybrid host. */
export class HybridJobCgroup extends V1JobCgroup {
  protected override fallbackCpuUsec(): number | undefined {
    // cgroup2 accounts CPU time in every cgroup, controller or not.
    const dir = this.v2Dir();
    return dir === undefined ? undefined : parseKeyed(this.ctx.fs.readIfExists(path.join(dir, 'cpu.stat'))).get('usage_usec');
  }

  protected override pressure(): CgroupPressure | undefined {
    // PSI lives in cgroup2 files, which the controller-less hierarchy has too.
    return readPressure(this.ctx.fs, this.v2Dir());
  }

  override async killAll(): Promise<void> {
    const unified = this.v2Dir();
    // cgroup.kill exists from Linux 5.14; older hybrids fall back to the v1 freezer alone.
    if (unified !== undefined && this.ctx.fs.exists(path.join(unified, 'cgroup.kill'))) {
      await killViaCgroupKill(this.ctx.fs, unified, this.ctx.killTimeoutMs);
    }
    // A process placed in the v1 hierarchies but never in the cgroup2 one escapes cgroup.kill.
    await killByFreezing(() => this.pids(), this.freezer(), this.dirs[0]?.dir ?? this.jobId, this.ctx.killTimeoutMs);
  }
}

/** Manager for hybrid hosts. */
export class HybridManager extends V1Manager {
  override readonly kind = 'hybrid' as const;

  protected override makeJob(jobId: string, dirs: JobDir[]): JobCgroup {
    return new HybridJobCgroup(this.ctx, jobId, dirs);
  }
}
