/**
 * A private joblet daemon for a benchmark run: a snapshot of the built binary, its own config,
 * port, state dir and cgroup instance in a temp dir, so it disturbs nothing else on the host and
 * a rebuild of dist/ during the run cannot pull the binary out from under it. It logs at debug
 * level, which adds one start-up breakdown line per job (parsed by breakdown.ts).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { detachMountsUnder, testNetworkCidrs } from '../../tests/helpers/daemon';
import { instanceCgroupDirs, removeInstanceCgroups } from '../../tests/helpers/cgroups';

/** Settings for one benchmark daemon. */
export interface BenchDaemonOptions {
  /** jobs.warmPool; undefined leaves the key out (binaries older than the pool refuse it). */
  warmPool?: number;
  /** jobs.maxConcurrentJobs. */
  maxConcurrentJobs?: number;
  /** server.logLevel: debug gives the per-job start-up breakdown. */
  debug?: boolean;
}

/** A running benchmark daemon. */
export class BenchDaemon {
  /** Everything it printed (its log). */
  log = '';
  /** `<own>/<instance>` in every hierarchy, for the clean-up after a stop. */
  private cgroupDirs: string[] = [];

  private constructor(
    /** Temp dir holding the binary, configs and state; removed by stop(). */
    readonly dir: string,
    /** Cgroup instance name (unique per run). */
    readonly instance: string,
    private readonly proc: ChildProcess,
  ) {}

  /** Pid of `joblet serve` (for reading its CPU time from /proc). */
  get pid(): number {
    return this.proc.pid!;
  }

  /** Client config written by `joblet init`. */
  get rnxConfig(): string {
    return path.join(this.dir, 'config', 'rnx-config.yml');
  }

  /** Server config (certificates for the transport-floor server come from it). */
  get serverConfig(): string {
    return path.join(this.dir, 'config', 'joblet-config.yml');
  }

  /** The copied executable (rnx is a symlink to it beside). */
  get binary(): string {
    return path.join(this.dir, 'joblet');
  }

  /** The rnx symlink to the copied executable. */
  get rnx(): string {
    return path.join(this.dir, 'rnx');
  }

  /** Resident memory of the daemon process now, in KiB. */
  rssKb(): number {
    try {
      return Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${this.pid}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      return 0;
    }
  }

  /** Copy `binary`, `joblet init` on a free loopback port, `joblet serve`; resolves once it listens. */
  static async start(binary: string, opts: BenchDaemonOptions = {}): Promise<BenchDaemon> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'joblet-bench-'));
    const exe = path.join(dir, 'joblet');
    fs.copyFileSync(binary, exe);
    fs.chmodSync(exe, 0o755);
    fs.symlinkSync('joblet', path.join(dir, 'rnx'));
    // INSTANCE_PATTERN: 1-12 of [a-z0-9-].
    const instance = `bench${process.pid.toString(36)}${Math.random().toString(36).slice(2)}`.slice(0, 12);
    const port = await freePort();
    const init = spawnSync(exe, ['init', '--dir', path.join(dir, 'config'), '--address', `127.0.0.1:${port}`, '--state-dir', path.join(dir, 'state'), '--instance', instance], { encoding: 'utf8' });
    if (init.status !== 0) {
      fs.rmSync(dir, { recursive: true, force: true });
      throw new Error(`joblet init failed (${init.status ?? init.signal}): ${init.stderr || init.error?.message}`);
    }
    // Networks of its own, so the bench runs beside an installed daemon (which owns the defaults).
    const serverConfig = path.join(dir, 'config', 'joblet-config.yml');
    const cidrs = testNetworkCidrs();
    let yaml = fs
      .readFileSync(serverConfig, 'utf8')
      .replace(/^  bridgeCidr: .*$/m, `  bridgeCidr: "${cidrs.bridge}"`)
      .replace(/^  isolatedCidr: .*$/m, `  isolatedCidr: "${cidrs.isolated}"`);
    if (opts.debug) yaml = yaml.replace(/^  logLevel: .*$/m, '  logLevel: debug');
    if (opts.maxConcurrentJobs !== undefined) yaml = yaml.replace(/^  maxConcurrentJobs: .*$/m, `  maxConcurrentJobs: ${opts.maxConcurrentJobs}`);
    if (opts.warmPool !== undefined) {
      yaml = /^  warmPool: /m.test(yaml) ? yaml.replace(/^  warmPool: .*$/m, `  warmPool: ${opts.warmPool}`) : yaml.replace(/^jobs:\n/m, `jobs:\n  warmPool: ${opts.warmPool}\n`);
    }
    fs.writeFileSync(serverConfig, yaml);
    // Own process group: a Ctrl-C reaches only the bench, which then stops the daemon in order.
    // JOBLET_BENCH_NODE_FLAGS="--cpu-prof ...": run the daemon from the bundle under the pinned Node with those flags (diagnosis only).
    const flags = process.env.JOBLET_BENCH_NODE_FLAGS;
    const cmd = flags ? [process.execPath, ...flags.split(' '), path.join(path.dirname(binary), 'parts', 'main.cjs'), 'serve'] : [exe, 'serve'];
    const proc = spawn(cmd[0]!, [...cmd.slice(1), '--config', serverConfig], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const d = new BenchDaemon(dir, instance, proc);
    try {
      await d.listening();
      d.cgroupDirs = instanceCgroupDirs(proc.pid!, instance);
    } catch (err) {
      await d.stop();
      throw err;
    }
    return d;
  }

  private listening(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onData = (b: Buffer) => {
        this.log += b.toString();
        if (this.log.includes('listening on')) resolve();
      };
      this.proc.stdout!.on('data', onData);
      this.proc.stderr!.on('data', onData);
      this.proc.once('exit', (code, sig) => reject(new Error(`joblet serve exited (${code ?? sig}) during start-up:\n${this.log}`)));
      setTimeout(() => reject(new Error(`joblet serve did not listen within 30 s:\n${this.log}`)), 30_000).unref();
    });
  }

  /** Resolves once the log holds a line matching `re` (e.g. a job's start-up line), or after `ms`. */
  async waitForLog(re: RegExp, ms = 5000): Promise<boolean> {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      if (re.test(this.log)) return true;
      await new Promise((r) => setTimeout(r, 20));
    }
    return false;
  }

  /** SIGTERM (SIGKILL after 60 s), remove the instance's empty cgroups and the temp dir. */
  async stop(): Promise<void> {
    const p = this.proc;
    if (p.exitCode === null && p.signalCode === null) {
      const exited = new Promise((r) => p.once('exit', r));
      p.kill('SIGTERM');
      const timer = setTimeout(() => p.kill('SIGKILL'), 60_000);
      await exited;
      clearTimeout(timer);
    }
    // A daemon killed after the 60 s leaves `<own cgroup>/<instance>` behind in every hierarchy;
    // rmdir only removes empty cgroups, so anything still in use stays (and is worth noticing).
    removeInstanceCgroups(this.cgroupDirs);
    // Workspaces of jobs the daemon had no time to end (SIGKILL after 60 s) are still mounted:
    // named on stderr, detached, then the directory goes.
    const left = detachMountsUnder(this.dir);
    if (left.length) process.stderr.write(`bench daemon left ${left.length} mount(s) under ${this.dir}; detached them\n`);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}
