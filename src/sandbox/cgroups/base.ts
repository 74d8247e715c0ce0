/**
 * What the v1, v2 and hybrid managers share: the layout `<own cgroup>/<instance>/job-<id>` in every
 * hierarchy used, creation with rollback, open/list for restart clean-up, pid listing, signalling and
 * removal. Subclasses add limits, stats and the kill strategy of their cgroup version.
 */
import * as path from 'node:path';
import { AlreadyExistsError, FailedPreconditionError, InvalidArgumentError, SyscallError } from '../../shared/errors';
import type { CgroupFs } from './fs';
import { readPids, signalPids, waitFor } from './kill';
import type { CgroupLimits, CgroupManager, CgroupStats, JobCgroup } from './manager';
import type { Hierarchy } from './mounts';

/** Prefix of every job cgroup directory. */
export const JOB_PREFIX = 'job-';

// Ids become directory names: no separators, no dot-names, bounded length.
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/** Throws InvalidArgumentError unless name is safe as one cgroup directory name. */
export function checkName(what: string, name: string): void {
  if (!SAFE_NAME.test(name)) {
    throw new InvalidArgumentError(`${what} "${name}" cannot name a cgroup (letters, digits, '_', '.', '-'; at most 128)`);
  }
}

/** Settings shared by a manager and its job cgroups. */
export interface CgroupContext {
  fs: CgroupFs;
  /** Bound on killAll's wait for an empty cgroup, ms. */
  killTimeoutMs: number;
}

/** One directory of a job's cgroup: where it is and which hierarchy it belongs to. */
export interface JobDir {
  hierarchy: Hierarchy;
  dir: string;
}

// A cgroup directory stays busy (EBUSY) for a moment after its last task exits.
const RMDIR_RETRY_MS = 2000;

/** Common half of a job cgroup. */
export abstract class BaseJobCgroup implements JobCgroup {
  readonly procsFiles: string[];

  constructor(
    protected readonly ctx: CgroupContext,
    readonly jobId: string,
    protected readonly dirs: JobDir[],
  ) {
    this.procsFiles = dirs.map((d) => path.join(d.dir, 'cgroup.procs'));
  }

  /** Directory of this job in the v1 hierarchy carrying controller, if any. */
  protected v1Dir(controller: string): string | undefined {
    return this.dirs.find((d) => d.hierarchy.version === 1 && d.hierarchy.controllers.includes(controller))?.dir;
  }

  /** Directory of this job in the cgroup2 hierarchy, if any. */
  protected v2Dir(): string | undefined {
    return this.dirs.find((d) => d.hierarchy.version === 2)?.dir;
  }

  abstract setLimits(limits: CgroupLimits): void;
  abstract stats(): CgroupStats;
  abstract killAll(): Promise<void>;

  pids(): number[] {
    // The union over hierarchies: a process is tracked wherever it was placed.
    const all = new Set<number>();
    for (const file of this.procsFiles) for (const pid of readPids(this.ctx.fs, file)) all.add(pid);
    return [...all].sort((a, b) => a - b);
  }

  signalAll(signal: NodeJS.Signals): void {
    signalPids(this.pids(), signal);
  }

  async destroy(): Promise<void> {
    for (const { dir } of this.dirs) {
      let lastErr: SyscallError | undefined;
      const gone = await waitFor(
        () => {
          try {
            this.ctx.fs.rmdir(dir);
            return true;
          } catch (err) {
            if (err instanceof SyscallError && err.errno === 'ENOENT') return true;
            if (err instanceof SyscallError && err.errno === 'EBUSY') {
              lastErr = err;
              return false;
            }
            throw err;
          }
        },
        RMDIR_RETRY_MS,
        20,
      );
      if (!gone) {
        throw new FailedPreconditionError(
          `cannot remove job cgroup ${dir}: ${lastErr?.message ?? 'EBUSY'} (processes [${this.pids().join(', ')}] remain; call killAll first)`,
        );
      }
    }
  }
}

/** Common half of a manager: directory layout, create/open/list. */
export abstract class BaseManager implements CgroupManager {
  abstract readonly kind: 'v1' | 'v2' | 'hybrid';

  constructor(
    protected readonly ctx: CgroupContext,
    /** Name of this daemon's parent cgroup under its own cgroup. */
    readonly instance: string,
    /** Hierarchies a job gets a directory in. */
    protected readonly hierarchies: Hierarchy[],
  ) {
    checkName('cgroup instance name', instance);
  }

  /** `<own>/<instance>` in one hierarchy. */
  parentDir(h: Hierarchy): string {
    return path.join(h.ownDir, this.instance);
  }

  /** Creates `<own>/<instance>` in every hierarchy when missing; subclasses call this from their constructor. */
  protected ensureParents(): void {
    for (const h of this.hierarchies) {
      const dir = this.parentDir(h);
      if (!this.ctx.fs.exists(dir)) this.ctx.fs.mkdir(dir);
      this.prepareDir(h, dir);
    }
  }

  /** Per-version set-up of a fresh directory before any task joins (v1 cpuset needs cpus and mems). */
  protected prepareDir(_h: Hierarchy, _dir: string): void {}

  /** Builds the version's JobCgroup over its directories. */
  protected abstract makeJob(jobId: string, dirs: JobDir[]): JobCgroup;

  create(jobId: string): JobCgroup {
    checkName('job id', jobId);
    const made: string[] = [];
    try {
      const dirs = this.hierarchies.map((hierarchy) => {
        const dir = path.join(this.parentDir(hierarchy), JOB_PREFIX + jobId);
        try {
          this.ctx.fs.mkdir(dir);
        } catch (err) {
          if (err instanceof SyscallError && err.errno === 'EEXIST') {
            throw new AlreadyExistsError(
              `cgroup ${dir} of job ${jobId} already exists (left by an earlier run? open() it, killAll() and destroy())`,
            );
          }
          throw err;
        }
        made.push(dir);
        this.prepareDir(hierarchy, dir);
        return { hierarchy, dir };
      });
      return this.makeJob(jobId, dirs);
    } catch (err) {
      // A half-made job cgroup would be invisible to list() on some hierarchies; undo it all.
      for (const dir of made.reverse()) {
        try {
          this.ctx.fs.rmdir(dir);
        } catch {
          // Best effort: the original error is the one worth reporting.
        }
      }
      throw err;
    }
  }

  open(jobId: string): JobCgroup | undefined {
    checkName('job id', jobId);
    const dirs = this.hierarchies
      .map((hierarchy) => ({ hierarchy, dir: path.join(this.parentDir(hierarchy), JOB_PREFIX + jobId) }))
      .filter((d) => this.ctx.fs.exists(d.dir));
    return dirs.length === 0 ? undefined : this.makeJob(jobId, dirs);
  }

  list(): string[] {
    const ids = new Set<string>();
    for (const h of this.hierarchies) {
      for (const name of this.ctx.fs.listDirs(this.parentDir(h))) {
        if (name.startsWith(JOB_PREFIX) && SAFE_NAME.test(name.slice(JOB_PREFIX.length))) {
          ids.add(name.slice(JOB_PREFIX.length));
        }
      }
    }
    return [...ids].sort();
  }

  /** Removes this daemon's `<own>/<instance>` directories; fails while job cgroups remain. Idempotent. */
  dispose(): void {
    const left = this.list();
    if (left.length > 0) {
      throw new FailedPreconditionError(`cannot remove cgroup parent '${this.instance}': job cgroups remain (${left.join(', ')})`);
    }
    for (const h of this.hierarchies) {
      try {
        this.ctx.fs.rmdir(this.parentDir(h));
      } catch (err) {
        if (!(err instanceof SyscallError && err.errno === 'ENOENT')) throw err;
      }
    }
  }
}
