/**
 * Pre-made job attachments: for each network in use, a few network namespaces already wired to
 * the bridge (veth, address, default route), so a starting job adopts one instead of running
 * `ip` twice on its critical path. A spare is made for no job in particular and serves exactly
 * one: adopting it renames its namespace after the job, and when that job ends the namespace and
 * veth are deleted, never handed on. Idle spares are named `joblet_<instance>_spare_<id>` and
 * marked `joblet/<instance>/spare/<id>`, so the start-up clean-up after a crash removes them too.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import { describeError } from '../../shared/errors';
import { MNT_DETACH, MS, mount, umount2 } from '../../sandbox/libc/mount';
import { attachJob, detachJob, NETNS_DIR, type JobLink } from './links';
import { ifAlias, netnsName, spareNetnsName, vethName } from './names';
import type { AddressPool } from './pool';
import type { HostTools } from './tools';

/** A network as the spares see it. */
export interface SpareNetwork {
  name: string;
  bridge: string;
  isolated: boolean;
  pool: AddressPool;
}

/** A made attachment waiting for a job; its address is taken from the network's pool. */
export interface Spare {
  link: JobLink;
}

interface PerNet {
  spares: Spare[];
  making: boolean;
  lastUsed: number;
}

/** Keeps up to `count` spares for each network that had a job in the last `idleMs`. */
export class SpareLinks {
  private readonly nets = new Map<string, PerNet>();
  private stopped = false;

  constructor(
    private readonly tools: HostTools,
    private readonly instance: string,
    /** MTU of the veths (the bridges' MTU, chosen at start). */
    private readonly mtu: number,
    private readonly count: number,
    private readonly idleMs: number,
    private readonly log: { warn(msg: string): void },
  ) {}

  /**
   * A ready attachment of `net` for job `jobId`, its namespace renamed after the job; undefined
   * when none is ready. Schedules the refill either way.
   */
  adopt(net: SpareNetwork, jobId: string): JobLink | undefined {
    if (this.count === 0 || this.stopped) return undefined;
    const s = this.state(net.name);
    s.lastUsed = Date.now();
    let link: JobLink | undefined;
    while (!link && s.spares.length > 0) {
      const spare = s.spares.shift()!;
      try {
        link = this.rename(spare.link, jobId);
      } catch (err) {
        this.log.warn(`network '${net.name}': a prepared job attachment is unusable: ${describeError(err)}`);
        void this.destroy(net, spare);
      }
    }
    this.refill(net);
    return link;
  }

  /** Start keeping spares for `net` (e.g. the default network, before its first job). */
  warm(net: SpareNetwork): void {
    if (this.count === 0) return;
    this.state(net.name).lastUsed = Date.now();
    this.refill(net);
  }

  /** Delete the spares of a network that goes away; waits for one being made. */
  async drop(net: SpareNetwork): Promise<void> {
    const s = this.nets.get(net.name);
    if (!s) return;
    this.nets.delete(net.name);
    while (s.making) await new Promise((r) => setTimeout(r, 20));
    for (const spare of s.spares.splice(0)) await this.destroy(net, spare);
  }

  /** Stop making spares and delete every one. */
  async close(nets: SpareNetwork[]): Promise<void> {
    this.stopped = true;
    for (const n of nets) await this.drop(n);
  }

  /** Delete the spares of networks that had no job for idleMs. */
  async expire(nets: SpareNetwork[]): Promise<void> {
    const now = Date.now();
    for (const n of nets) {
      const s = this.nets.get(n.name);
      if (s && !s.making && now - s.lastUsed > this.idleMs) await this.drop(n);
    }
  }

  private state(name: string): PerNet {
    let s = this.nets.get(name);
    if (!s) {
      s = { spares: [], making: false, lastUsed: Date.now() };
      this.nets.set(name, s);
    }
    return s;
  }

  /** Makes spares one after the other until `count` are ready; never on a job's path. */
  private refill(net: SpareNetwork): void {
    const s = this.state(net.name);
    if (s.making || this.stopped) return;
    s.making = true;
    void (async () => {
      try {
        // Leave the last free addresses to jobs that start without a spare.
        while (!this.stopped && this.nets.get(net.name) === s && s.spares.length < this.count && net.pool.capacity - net.pool.inUse > 1) {
          s.spares.push(await this.make(net));
        }
      } catch (err) {
        this.log.warn(`network '${net.name}': cannot prepare a job attachment in advance: ${describeError(err)}`);
      } finally {
        s.making = false;
      }
    })();
  }

  private async make(net: SpareNetwork): Promise<Spare> {
    const id = randomUUID();
    const ip = net.pool.allocate();
    const link: JobLink = {
      netns: spareNetnsName(this.instance, id),
      veth: vethName(this.instance, id),
      alias: ifAlias(this.instance, 'spare', id),
      bridge: net.bridge,
      cidr: net.pool.cidr,
      ip,
      isolatedPort: net.isolated,
      mtu: this.mtu,
    };
    try {
      await attachJob(this.tools, link);
    } catch (err) {
      await detachJob(this.tools, link).catch(() => undefined);
      net.pool.release(ip);
      throw err;
    }
    return { link };
  }

  /**
   * Gives the spare's namespace the job's name (a second bind of the same nsfs file, then the
   * old name goes: no `ip` process) and, in the background, its veth the job's alias.
   */
  private rename(link: JobLink, jobId: string): JobLink {
    const to = netnsName(this.instance, jobId);
    const from = `${NETNS_DIR}/${link.netns}`;
    const target = `${NETNS_DIR}/${to}`;
    fs.writeFileSync(target, '', { flag: 'wx', mode: 0o444 });
    try {
      mount(from, target, null, MS.BIND);
    } catch (err) {
      fs.rmSync(target, { force: true });
      throw err;
    }
    umount2(from, MNT_DETACH);
    fs.rmSync(from, { force: true });
    const alias = ifAlias(this.instance, 'job', jobId);
    this.tools.run('ip', ['link', 'set', link.veth, 'alias', alias]).catch((err) => {
      // A job that already ended took its veth with it.
      if (!/Cannot find device/.test(describeError(err))) this.log.warn(`cannot mark ${link.veth} as job ${jobId}'s: ${describeError(err)}`);
    });
    return { ...link, netns: to, alias };
  }

  private async destroy(net: SpareNetwork, spare: Spare): Promise<void> {
    try {
      await detachJob(this.tools, spare.link);
    } catch (err) {
      this.log.warn(`cannot delete a prepared job attachment (${spare.link.veth}): ${describeError(err)}`);
    } finally {
      net.pool.release(spare.link.ip);
    }
  }
}
