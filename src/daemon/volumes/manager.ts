/**
 * The volume manager: creates, lists and removes volumes, brings them back at start-up, and lends
 * them to jobs (a JobResource: a volume is in use from before a job's sandbox is spawned until
 * every process of the job is gone, and cannot be removed meanwhile).
 *
 * filesystem volumes are sparse ext4 images on loop devices: the size is enforced by ext4 (ENOSPC
 * in the job), the data survives jobs and daemon restarts. memory volumes are tmpfs mounts: they
 * survive jobs, and start empty whenever the daemon starts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AlreadyExistsError, FailedPreconditionError, InvalidArgumentError, JobletError, NotFoundError, describeError } from '../../shared/errors';
import { notFound } from '../../shared/entities';
import { checkVolumeName, formatVolumeSize, VOLUMES_MOUNT_DIR, type VolumeType } from '../../shared/volumes';
import type { RecordTable } from '../../store/db';
import type { JobRecord } from '../../store/job-record';
import type { VolumeRecord } from '../../store/volume-record';
import type { JobResource } from '../jobs/manager';
import { createBacking, mountBacking, removeBacking, unmountAll, unmountBacking, volumePaths, type BackingContext } from './backing';
import { HOST, freeBytes, loopDevices, mountsAt, readMounts, totalMemoryBytes, type HostPaths } from './host';
import { VolumeTools } from './tools';

/** Volume settings from the server config. */
export interface VolumeSettings {
  stateDir: string;
  /** Owner of every volume's root directory: the job user. */
  uid: number;
  gid: number;
  /** Largest volume of either type. */
  maxSizeBytes: number;
  /** All memory volumes together; 0 means half the host's RAM. */
  maxMemoryBytes: number;
}

/** What the manager needs from the outside (tests substitute the host paths). */
export interface VolumeDeps {
  table: RecordTable<VolumeRecord>;
  log: (msg: string) => void;
  host?: HostPaths;
}

/** A volume as the API shows it. */
export interface VolumeInfo {
  record: VolumeRecord;
  /** Host path of its mount. */
  path: string;
  /** Running jobs that use it. */
  jobs: number;
  /** Why it cannot be used right now (it failed to come back at start-up), if so. */
  problem?: string;
}

interface Entry {
  record: VolumeRecord;
  /** Ids of the jobs using it. */
  users: Set<string>;
  problem?: string;
  removing?: boolean;
}

/** Owns every volume of this daemon. */
export class VolumeManager {
  private readonly entries = new Map<string, Entry>();
  /** Names being created: reserved against a second create, counted against the memory budget. */
  private readonly creating = new Map<string, VolumeRecord>();
  private readonly root: string;
  private readonly host: HostPaths;
  private readonly ctx: BackingContext;
  private tools?: VolumeTools;

  constructor(
    private readonly s: VolumeSettings,
    private readonly deps: VolumeDeps,
  ) {
    const dir = path.join(s.stateDir, 'volumes');
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    // The kernel reports real paths (mountinfo, loop backing files): compare with the real one.
    this.root = fs.realpathSync(dir);
    this.host = deps.host ?? HOST;
    this.ctx = { uid: s.uid, gid: s.gid, tools: () => (this.tools ??= VolumeTools.locate()), host: this.host };
  }

  /**
   * Bring every stored volume back (after a clean stop or a crash), and clear what a crash during
   * create or remove left behind: directories without a record, loop devices on our images that
   * no volume owns. A volume that cannot come back stays listed with its problem.
   */
  async start(): Promise<void> {
    const records = this.deps.table.list();
    const known = new Set(records.map((r) => r.name));
    for (const name of fs.readdirSync(this.root)) {
      if (known.has(name)) continue;
      this.deps.log(`volumes: removing ${path.join(this.root, name)}, left over from an interrupted create or remove`);
      await removeBacking(volumePaths(this.root, name), this.ctx).catch((err) => this.deps.log(`volumes: ${describeError(err)}`));
    }
    await this.detachOrphanLoops(known);
    for (const record of records) {
      const entry: Entry = { record, users: new Set() };
      this.entries.set(record.name, entry);
      try {
        await mountBacking(this.paths(record.name), record, this.ctx);
      } catch (err) {
        entry.problem = `it could not be mounted at start-up: ${describeError(err)}`;
        this.deps.log(`volume ${record.name}: ${entry.problem}`);
      }
    }
  }

  /** Loop devices on files under our root that are deleted or belong to no volume. */
  private async detachOrphanLoops(known: Set<string>): Promise<void> {
    const orphans = loopDevices(this.host).filter((l) => {
      if (!l.backingFile.startsWith(`${this.root}/`)) return false;
      const name = path.relative(this.root, l.backingFile).split('/')[0]!;
      return l.deleted || !known.has(name);
    });
    if (orphans.length === 0) return;
    const mounts = readMounts(this.host);
    for (const l of orphans) {
      this.deps.log(`volumes: detaching ${l.path}, attached to ${l.backingFile}${l.deleted ? ' (deleted)' : ''} by an earlier run`);
      try {
        for (const m of mounts) if (m.dev === l.dev && m.mountPoint.startsWith(`${this.root}/`)) unmountAll(m.mountPoint, this.host);
        await this.ctx.tools().detach(l.path);
      } catch (err) {
        // Not fatal to the daemon: it is a leftover, and the next start tries again.
        this.deps.log(`volumes: ${describeError(err)}`);
      }
    }
  }

  /** Create a volume; refuses a taken name, a size over the server's limits, missing tools. */
  async create(req: { name: string; type: VolumeType; sizeBytes: number }, owner: string): Promise<VolumeInfo> {
    const name = checkVolumeName(req.name);
    if (this.entries.has(name) || this.creating.has(name)) throw new AlreadyExistsError(`volume '${name}' already exists (see 'rnx volume list')`);
    this.checkSize(req.type, req.sizeBytes);
    if (req.type === 'filesystem') this.ctx.tools();
    const record: VolumeRecord = { name, type: req.type, sizeBytes: req.sizeBytes, createdAt: Date.now(), owner };
    this.creating.set(name, record);
    try {
      await createBacking(this.paths(name), record, this.ctx);
      try {
        this.deps.table.put(record);
      } catch (err) {
        await removeBacking(this.paths(name), this.ctx).catch(() => undefined);
        throw err;
      }
    } catch (err) {
      throw new JobletError(err instanceof JobletError ? err.code : 'INTERNAL', `cannot create volume '${name}': ${describeError(err)}`);
    } finally {
      this.creating.delete(name);
    }
    this.entries.set(name, { record, users: new Set() });
    return this.info(this.entries.get(name)!);
  }

  private checkSize(type: VolumeType, bytes: number): void {
    const size = formatVolumeSize(bytes);
    if (bytes > this.s.maxSizeBytes) {
      throw new InvalidArgumentError(`--size: ${size} is more than this server allows for a volume (${formatVolumeSize(this.s.maxSizeBytes)}, volumes.maxSizeBytes)`);
    }
    if (type === 'filesystem') {
      const free = freeBytes(this.root);
      if (bytes > free) {
        throw new JobletError('RESOURCE_EXHAUSTED', `--size: ${size} is more than the ${formatVolumeSize(free)} free on the server's disk that holds volumes (${this.root})`);
      }
      return;
    }
    const budget = this.s.maxMemoryBytes || Math.floor(totalMemoryBytes() / 2);
    const taken = [...this.entries.values()].map((e) => e.record).concat([...this.creating.values()]).filter((r) => r.type === 'memory').reduce((n, r) => n + r.sizeBytes, 0);
    if (taken + bytes > budget) {
      throw new JobletError(
        'RESOURCE_EXHAUSTED',
        `--size: memory volumes may take ${formatVolumeSize(budget)} of RAM in all on this server (volumes.maxMemoryBytes; default half the RAM); ` +
          `${formatVolumeSize(taken)} are taken, so ${size} more do not fit`,
      );
    }
  }

  /** Every volume, by name. */
  list(): VolumeInfo[] {
    return [...this.entries.values()].sort((a, b) => a.record.name.localeCompare(b.record.name)).map((e) => this.info(e));
  }

  /** Remove a volume and its data; refused while a running job uses it. */
  async remove(nameIn: string): Promise<void> {
    const name = checkVolumeName(nameIn);
    const e = this.entries.get(name);
    if (!e) {
      if (this.creating.has(name)) throw new FailedPreconditionError(`volume '${name}' is still being created; try again in a moment`);
      throw notFound('volume', name);
    }
    if (e.users.size > 0) {
      const ids = [...e.users].map((id) => id.slice(0, 8)).join(', ');
      throw new FailedPreconditionError(`volume '${name}' is in use by ${e.users.size} running job${e.users.size > 1 ? 's' : ''} (${ids}); stop ${e.users.size > 1 ? 'them' : 'it'} or wait for ${e.users.size > 1 ? 'them' : 'it'} to finish, then remove the volume`);
    }
    if (e.removing) throw new FailedPreconditionError(`volume '${name}' is already being removed`);
    e.removing = true;
    try {
      await removeBacking(this.paths(name), this.ctx);
    } catch (err) {
      e.removing = false;
      // Half taken down: never let a job bind the bare directory instead of the volume.
      if (mountsAt(this.paths(name).data, this.host).length === 0) e.problem = `an earlier remove failed half-way (${describeError(err)}); remove it again`;
      throw new JobletError(err instanceof JobletError ? err.code : 'INTERNAL', `cannot remove volume '${name}': ${describeError(err)}`);
    }
    this.deps.table.delete(name);
    this.entries.delete(name);
  }

  /** Refuse a job that names a volume that does not exist or cannot be used (before it is created). */
  check(names: string[]): void {
    for (const name of names) {
      const e = this.entries.get(name);
      if (!e) throw notFound('volume', name, `create it with 'rnx volume create ${name} --size=1GB'`);
      if (e.removing) throw new FailedPreconditionError(`volume '${name}' is being removed`);
      if (e.problem) throw new FailedPreconditionError(`volume '${name}' cannot be used: ${e.problem}`);
    }
  }

  /** The JobResource that mounts a job's volumes at /volumes/NAME and keeps them from removal while it runs. */
  resource(): JobResource {
    return {
      name: 'volumes',
      admit: (req) => {
        this.check(req.volumes);
        return req;
      },
      acquire: async (job: JobRecord) => this.acquire(job),
    };
  }

  private acquire(job: JobRecord): { spec: { binds: { source: string; target: string }[] }; release(): Promise<void> } {
    const names = job.volumes ?? [];
    this.check(names);
    const binds = names.map((name) => {
      const data = this.paths(name).data;
      // Never hand the job the bare directory underneath: that would be a volume without a limit.
      if (mountsAt(data, this.host).length === 0) throw new FailedPreconditionError(`volume '${name}' is not mounted on the server (${data}); restart the daemon or remove and re-create the volume`);
      return { source: data, target: `${VOLUMES_MOUNT_DIR}/${name}` };
    });
    for (const name of names) this.entries.get(name)!.users.add(job.id);
    return {
      spec: { binds },
      release: async () => {
        for (const name of names) this.entries.get(name)?.users.delete(job.id);
      },
    };
  }

  /**
   * Daemon shutdown (jobs are stopped already): unmount every volume and detach its loop device,
   * so a stopped daemon leaves nothing attached; the next start mounts them again. Memory volumes
   * lose their contents here.
   */
  async shutdown(): Promise<void> {
    for (const e of this.entries.values()) {
      await unmountBacking(this.paths(e.record.name), this.ctx).catch((err) => this.deps.log(`volume ${e.record.name}: ${describeError(err)}`));
    }
  }

  private paths(name: string) {
    return volumePaths(this.root, name);
  }

  private info(e: Entry): VolumeInfo {
    return { record: e.record, path: this.paths(e.record.name).data, jobs: e.users.size, problem: e.problem };
  }
}
