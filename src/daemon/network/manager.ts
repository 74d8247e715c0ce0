/**
 * Job networks of one daemon: the built-ins (none, isolated, bridge) and custom networks (stored
 * in the database), their bridges, address pools and firewall table. It is the JobResource that
 * attaches each job to its network. Changes to the set of networks are serialized; taking an
 * address and counting a job are synchronous, so a network cannot be removed under a starting job.
 */
import * as fs from 'node:fs';
import { cidrText, formatIPv4, overlaps, parseCidr, parseNetworkCidr, type Cidr } from '../../shared/cidr';
import { AlreadyExistsError, ConfigError, describeError, FailedPreconditionError, InvalidArgumentError, JobletError, NotFoundError } from '../../shared/errors';
import { notFound } from '../../shared/entities';
import type { RecordTable } from '../../store/db';
import type { JobRecord } from '../../store/job-record';
import type { NetworkRecord } from '../../store/network-record';
import type { JobResource } from '../jobs/manager';
import { jobHostname } from '../jobs/sandbox-spec';
import type { JobRequest } from '../jobs/validate';
import { attachJob, deleteLink, detachJob, ensureBridge, listLinks, listRoutes, NETNS_DIR, routeClash } from './links';
import { aliasPrefix, bridgeName, checkNetworkName, ifAlias, isBuiltin, netnsName, nftTableName, vethName, type BuiltinNetwork } from './names';
import { chooseMtu, DEFAULT_MTU } from './mtu';
import { applyFirewall, removeFirewall } from './nftables';
import { AddressPool } from './pool';
import { removeStaleJobObjects } from './reconcile';
import { SpareLinks, type SpareNetwork } from './spares';
import type { HostTools } from './tools';

/** A network whose jobs had no job for this long loses its prepared attachments. */
const SPARE_IDLE_MS = 10 * 60 * 1000;

/** Network settings from the server config. */
export interface NetworkSettings {
  instance: string;
  defaultMode: BuiltinNetwork;
  bridgeCidr: string;
  isolatedCidr: string;
  /** network.mtu: 0 = the MTU of the host's route to the outside (mtu.ts). */
  mtu: number;
  /** Attachments prepared in advance per network in use (0: every job makes its own). */
  warmLinks?: number;
}

/** A network as ListNetworks reports it. */
export interface NetworkInfo {
  name: string;
  /** "" for none. */
  cidr: string;
  /** "" for none. */
  bridge: string;
  jobCount: number;
  builtin: boolean;
}

/** What the manager needs from outside. */
export interface NetworkDeps {
  /** The host tools, or why they are unavailable. */
  tools: HostTools | JobletError;
  table: RecordTable<NetworkRecord>;
  log: { info(msg: string): void; warn(msg: string): void };
}

interface Net {
  name: string;
  builtin: boolean;
  isolated: boolean;
  bridge: string;
  /** Absent for none. */
  pool?: AddressPool;
  jobs: number;
  /** Why it cannot be used (set at start-up), or undefined. */
  problem?: string;
  /** Its bridge and rules are being made: no job may join yet. */
  creating?: boolean;
}

/** Owns the networks of one daemon. */
export class NetworkManager implements JobResource {
  readonly name = 'network';
  private readonly nets = new Map<string, Net>();
  /** Host-side veth of each attached job, for its traffic counters (monitoring). */
  private readonly veths = new Map<string, string>();
  private queue: Promise<unknown> = Promise.resolve();
  private readonly table: string;
  /** MTU of every bridge and job interface, chosen at start (mtu.ts). */
  private mtu = DEFAULT_MTU;
  private spares?: SpareLinks;
  private expiry?: NodeJS.Timeout;

  constructor(
    private readonly s: NetworkSettings,
    private readonly deps: NetworkDeps,
  ) {
    this.table = nftTableName(s.instance);
  }

  /**
   * Bring the host in line with the stored networks: remove what a crashed run left (job
   * namespaces and veths, bridges of removed networks), (re)create every bridge, replace the
   * firewall table. Throws ConfigError when the configured built-in networks cannot work.
   */
  async start(): Promise<void> {
    this.nets.set('none', { name: 'none', builtin: true, isolated: false, bridge: '', jobs: 0 });
    const bridge = this.define('bridge', parseCidr(this.s.bridgeCidr), true, false);
    const isolated = this.define('isolated', parseCidr(this.s.isolatedCidr), true, true);
    const custom = this.deps.table.list().map((r) => this.define(r.name, parseCidr(r.cidr), false, false));
    const unavailable = (why: string) => {
      if (this.s.defaultMode !== 'none') {
        throw new ConfigError(`network.defaultMode is '${this.s.defaultMode}', but ${why}; or set network.defaultMode: none to run jobs with loopback only`);
      }
      for (const n of [bridge, isolated, ...custom]) n.problem = why;
      this.deps.log.warn(`networks other than 'none' are unavailable: ${why}`);
    };
    const tools = this.deps.tools;
    if (!('run' in tools)) return unavailable(tools.message);
    try {
      await this.setUp(tools, bridge, isolated, custom);
    } catch (err) {
      // A configured block that clashes is a mistake in the config whatever the default mode.
      if (err instanceof ConfigError) throw err;
      unavailable(`job networks could not be set up on this host: ${describeError(err)}`);
      return;
    }
    const count = this.s.warmLinks ?? 0;
    if (count > 0) {
      this.spares = new SpareLinks(tools, this.s.instance, this.mtu, count, SPARE_IDLE_MS, this.deps.log);
      const def = this.nets.get(this.s.defaultMode);
      if (def?.pool && !def.problem) this.spares.warm(def as SpareNetwork);
      this.expiry = setInterval(() => void this.spares?.expire(this.spareNets()), 60_000);
      this.expiry.unref();
    }
  }

  private spareNets(): SpareNetwork[] {
    return [...this.nets.values()].filter((n): n is Net & SpareNetwork => !!n.pool);
  }

  private async setUp(tools: HostTools, bridge: Net, isolated: Net, custom: Net[]): Promise<void> {
    // Jobs of every mode but none are routed through the host.
    const forward = '/proc/sys/net/ipv4/ip_forward';
    if (fs.readFileSync(forward, 'utf8').trim() !== '1') fs.writeFileSync(forward, '1');
    await removeStaleJobObjects(tools, this.s.instance, (m) => this.deps.log.info(m));
    const mtu = await chooseMtu(tools, this.s.mtu);
    this.mtu = mtu.mtu;
    const links = await listLinks(tools);
    const ours = new Set(links.filter((l) => l.ifalias?.startsWith(aliasPrefix(this.s.instance))).map((l) => l.ifname));
    const foreign = (await listRoutes(tools)).filter((r) => !r.dev || !ours.has(r.dev));
    for (const [n, key] of [[bridge, 'bridgeCidr'], [isolated, 'isolatedCidr']] as const) {
      const clash = routeClash(n.pool!.cidr, foreign);
      if (clash) throw new ConfigError(`network.${key} ${cidrText(n.pool!.cidr)} overlaps ${clash}; choose a block the host does not use`);
    }
    if (overlaps(bridge.pool!.cidr, isolated.pool!.cidr)) throw new ConfigError('network.bridgeCidr and network.isolatedCidr overlap; give them separate blocks');
    for (const n of custom) {
      const c = n.pool!.cidr;
      const other = [bridge, isolated].find((b) => overlaps(b.pool!.cidr, c));
      n.problem = other ? `its CIDR ${cidrText(c)} overlaps the '${other.name}' network (${cidrText(other.pool!.cidr)}) of the server config` : routeClash(c, foreign);
      if (n.problem) this.deps.log.warn(`network '${n.name}' is unavailable: ${n.problem}`);
    }
    const wanted = new Map([...this.nets.values()].filter((n) => n.pool && !n.problem).map((n) => [n.bridge, n]));
    for (const l of links) {
      if (ours.has(l.ifname) && !wanted.has(l.ifname)) await deleteLink(tools, l.ifname);
    }
    for (const n of wanted.values()) {
      await ensureBridge(tools, n.bridge, ifAlias(this.s.instance, 'net', n.name), n.pool!.cidr, links.some((l) => l.ifname === n.bridge), this.mtu);
    }
    await this.firewall(tools);
    this.deps.log.info(`networks ready: ${[...wanted.values()].map((n) => `${n.name} ${cidrText(n.pool!.cidr)} on ${n.bridge}`).join(', ')}; MTU ${mtu.mtu} (${mtu.source})`);
  }

  /** The network a job gets: '' means the server default. Throws when it does not exist or cannot be used. */
  resolve(requested: string): string {
    const name = requested || this.s.defaultMode;
    this.usable(name);
    return name;
  }

  /** JobResource: fill in the network of a request before the job is created. */
  admit(req: JobRequest): JobRequest {
    return { ...req, network: this.resolve(req.network) };
  }

  /**
   * JobResource: attach the job to its network (adopting a prepared attachment when one is ready);
   * release detaches it and frees its address.
   */
  async acquire(job: JobRecord): Promise<{ spec?: { netnsPath: string; hostsExtra: string }; release(): Promise<void> }> {
    const net = this.usable(job.network || 'none');
    net.jobs++;
    if (!net.pool) return { release: async () => void net.jobs-- };
    const tools = this.deps.tools as HostTools;
    let link = this.spares?.adopt(net as SpareNetwork, job.id);
    if (!link) {
      let ip: number;
      try {
        ip = net.pool.allocate();
      } catch (err) {
        net.jobs--;
        throw err;
      }
      link = {
        netns: netnsName(this.s.instance, job.id),
        veth: vethName(this.s.instance, job.id),
        alias: ifAlias(this.s.instance, 'job', job.id),
        bridge: net.bridge,
        cidr: net.pool.cidr,
        ip,
        isolatedPort: net.isolated,
        mtu: this.mtu,
      };
      try {
        await attachJob(tools, link);
      } catch (err) {
        await detachJob(tools, link).catch(() => undefined);
        net.pool.release(ip);
        net.jobs--;
        throw err;
      }
    }
    const attached = link;
    const release = async () => {
      this.veths.delete(job.id);
      try {
        await detachJob(tools, attached);
      } finally {
        net.pool!.release(attached.ip);
        net.jobs--;
      }
    };
    this.veths.set(job.id, attached.veth);
    return { spec: { netnsPath: `${NETNS_DIR}/${attached.netns}`, hostsExtra: `${formatIPv4(attached.ip)}\t${jobHostname(job.id)}\n` }, release };
  }

  /** Host-side veth of a running job attached to a network with addresses; undefined for none or when not attached. */
  hostVeth(jobId: string): string | undefined {
    return this.veths.get(jobId);
  }

  /** Every network, built-ins first. */
  list(): NetworkInfo[] {
    const all = [...this.nets.values()];
    const order = (n: Net) => (n.builtin ? ['none', 'isolated', 'bridge'].indexOf(n.name) : 3);
    return all.sort((a, b) => order(a) - order(b) || a.name.localeCompare(b.name)).map(info);
  }

  /** Create a custom network with its bridge and firewall rules. */
  create(name: string, cidrInput: string): Promise<NetworkInfo> {
    checkNetworkName(name);
    if (!cidrInput) throw new InvalidArgumentError(`a CIDR is required: rnx network create ${name} --cidr=10.10.0.0/24`);
    const cidr = parseNetworkCidr(cidrInput);
    const tools = this.deps.tools;
    if (!('run' in tools)) throw new FailedPreconditionError(tools.message);
    return this.serial(async () => {
      if (this.nets.has(name)) throw new AlreadyExistsError(`network '${name}' already exists (see 'rnx network list')`);
      for (const n of this.nets.values()) {
        if (n.pool && overlaps(n.pool.cidr, cidr)) throw new InvalidArgumentError(`CIDR ${cidrText(cidr)} overlaps network '${n.name}' (${cidrText(n.pool.cidr)})`);
      }
      const ours = new Set([...this.nets.values()].map((n) => n.bridge));
      const clash = routeClash(cidr, (await listRoutes(tools)).filter((r) => !r.dev || !ours.has(r.dev)));
      if (clash) throw new InvalidArgumentError(`CIDR ${cidrText(cidr)} overlaps ${clash}; choose a block the host does not use`);
      const net = this.define(name, cidr, false, false);
      net.creating = true;
      try {
        await deleteLink(tools, net.bridge); // a leftover of a crash during an earlier create
        await ensureBridge(tools, net.bridge, ifAlias(this.s.instance, 'net', name), cidr, false, this.mtu);
        await this.firewall(tools);
        this.deps.table.put({ name, cidr: cidrText(cidr), bridge: net.bridge, createdAt: Date.now() });
        net.creating = false;
      } catch (err) {
        this.nets.delete(name);
        await deleteLink(tools, net.bridge).catch(() => undefined);
        await this.firewall(tools).catch(() => undefined);
        throw err;
      }
      this.deps.log.info(`network '${name}' created: ${cidrText(cidr)} on ${net.bridge}`);
      return info(net);
    });
  }

  /** Remove a custom network that no running job uses. */
  remove(name: string): Promise<void> {
    if (isBuiltin(name)) throw new FailedPreconditionError(`'${name}' is a built-in network and cannot be removed`);
    if (!name) throw new InvalidArgumentError('a network name is required: rnx network remove NAME');
    checkNetworkName(name);
    return this.serial(async () => {
      const net = this.nets.get(name);
      if (!net) throw notFound('network', name);
      if (net.jobs > 0) {
        throw new FailedPreconditionError(`network '${name}' is used by ${net.jobs} running job${net.jobs === 1 ? '' : 's'}; stop ${net.jobs === 1 ? 'it' : 'them'} first`);
      }
      // Synchronously with the check above: no job can take an address from here on.
      this.nets.delete(name);
      this.deps.table.delete(name);
      await this.spares?.drop(net as SpareNetwork);
      const tools = this.deps.tools;
      if ('run' in tools) {
        await this.firewall(tools);
        await deleteLink(tools, net.bridge);
      }
      this.deps.log.info(`network '${name}' removed`);
    });
  }

  /** After every job has ended: remove bridges and the firewall table; the next start recreates them. */
  async shutdown(): Promise<void> {
    clearInterval(this.expiry);
    await this.spares?.close(this.spareNets());
    const tools = this.deps.tools;
    if (!('run' in tools)) return;
    await this.serial(async () => {
      // Every step is tried even when one fails, and also for networks whose set-up failed half
      // way (start-up that failed must release what it made): the first error is reported.
      let first: unknown;
      const attempt = async (fn: () => Promise<void>) => {
        try {
          await fn();
        } catch (err) {
          first ??= err;
        }
      };
      await attempt(() => removeFirewall(tools, this.table));
      for (const n of this.nets.values()) if (n.pool) await attempt(() => deleteLink(tools, n.bridge));
      if (first !== undefined) throw first;
    });
  }

  private define(name: string, cidr: Cidr, builtin: boolean, isolated: boolean): Net {
    const net: Net = { name, builtin, isolated, bridge: bridgeName(this.s.instance, name), pool: new AddressPool(cidr), jobs: 0 };
    this.nets.set(name, net);
    return net;
  }

  private usable(name: string): Net {
    const net = this.nets.get(name);
    if (!net) {
      throw notFound('network', name, "use none, isolated, bridge or a network made with 'rnx network create'");
    }
    if (net.problem) throw new FailedPreconditionError(`network '${name}' is not available on this server: ${net.problem}`);
    if (net.creating) throw new FailedPreconditionError(`network '${name}' is still being created; try again in a moment`);
    return net;
  }

  private firewall(tools: HostTools): Promise<void> {
    const nets = [...this.nets.values()].filter((n) => n.pool && !n.problem);
    return applyFirewall(tools, this.table, nets.map((n) => ({ bridge: n.bridge, cidr: n.pool!.cidr, isolated: n.isolated })));
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

function info(n: Net): NetworkInfo {
  return { name: n.name, cidr: n.pool ? cidrText(n.pool.cidr) : '', bridge: n.bridge, jobCount: n.jobs, builtin: n.builtin };
}
