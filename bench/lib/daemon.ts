/**
 * A private joblet daemon for a benchmark run: a snapshot of the built binary, its own config,
 * port, state dir and cgroup instance in a temp dir, so it disturbs nothing else on the host and
 * a rebuild of dist/ during the run cannot pull the binary out from under it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { testNetworkCidrs } from '../../tests/helpers/daemon';
import { removeEmptyCgroupTree } from '../../tests/helpers/cgroups';

/** A running benchmark daemon. */
export class BenchDaemon {
  private log = '';
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

  /** Copy `binary`, `joblet init` on a free loopback port, `joblet serve`; resolves once it listens. */
  static async start(binary: string): Promise<BenchDaemon> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'joblet-bench-'));
    const exe = path.join(dir, 'joblet');
    fs.copyFileSync(binary, exe);
    fs.chmodSync(exe, 0o755);
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
    fs.writeFileSync(
      serverConfig,
      fs
        .readFileSync(serverConfig, 'utf8')
        .replace(/^  bridgeCidr: .*$/m, `  bridgeCidr: "${cidrs.bridge}"`)
        .replace(/^  isolatedCidr: .*$/m, `  isolatedCidr: "${cidrs.isolated}"`),
    );
    // Own process group: a Ctrl-C reaches only the bench, which then stops the daemon in order.
    const proc = spawn(exe, ['serve', '--config', path.join(dir, 'config', 'joblet-config.yml')], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const d = new BenchDaemon(dir, instance, proc);
    try {
      await d.listening();
      d.cgroupDirs = cgroupDirsOf(proc.pid!);
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
      setTimeout(() => reject(new Error(`joblet serve did not listen within 20 s:\n${this.log}`)), 20_000).unref();
    });
  }

  /** SIGTERM (SIGKILL after 35 s), remove the instance's empty cgroups and the temp dir. */
  async stop(): Promise<void> {
    const p = this.proc;
    if (p.exitCode === null && p.signalCode === null) {
      const exited = new Promise((r) => p.once('exit', r));
      p.kill('SIGTERM');
      const timer = setTimeout(() => p.kill('SIGKILL'), 35_000);
      await exited;
      clearTimeout(timer);
    }
    // The daemon leaves `<own cgroup>/<instance>` behind in every hierarchy; rmdir only removes
    // empty cgroups, so anything still in use stays (and is worth noticing).
    for (const own of this.cgroupDirs) {
      const base = path.basename(own) === `${this.instance}-daemon` ? path.dirname(own) : own;
      for (const sub of [path.join(base, this.instance), path.join(base, `${this.instance}-daemon`)]) removeEmptyCgroupTree(sub);
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A free TCP port on loopback. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** The cgroup directory of `pid` in every mounted hierarchy (from /proc/PID/cgroup + mountinfo). */
function cgroupDirsOf(pid: number): string[] {
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
  for (const line of fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').filter(Boolean)) {
    const [, ctrls = '', cgPath = '/'] = line.split(/:(.*?):/);
    const want = ctrls.split(',').filter(Boolean);
    const m = want.length === 0 ? mounts.find((x) => x.fstype === 'cgroup2') : mounts.find((x) => x.fstype === 'cgroup' && want.every((c) => x.opts.includes(c)));
    if (m) dirs.push(path.join(m.point, cgPath));
  }
  return dirs;
}

