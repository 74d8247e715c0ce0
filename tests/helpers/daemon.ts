/**
 * A real daemon for integration tests: `joblet init` into a temp dir (own port, state dir and
 * cgroup instance, so several can run side by side), `joblet serve` as a child process, and an
 * `rnx` runner that drives the real client binary with that config.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { instanceCgroupDirs, removeInstanceCgroups } from './cgroups';

/** The built binary the tests drive. */
export const ROOT = path.resolve(__dirname, '../..');
export const JOBLET = path.join(ROOT, 'dist/joblet');
export const RNX = path.join(ROOT, 'dist/rnx');

/** Result of one CLI run. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run a program to completion, with optional stdin and env. */
export function exec(cmd: string, args: string[], opts: { env?: Record<string, string>; input?: string; timeoutMs?: number; cwd?: string } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...opts.env }, cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${path.basename(cmd)} ${args.join(' ')} timed out after ${opts.timeoutMs ?? 60000} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, opts.timeoutMs ?? 60000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? 128 + (signal ? os.constants.signals[signal] : 0), stdout, stderr });
    });
    // A program that exits without reading its input closes the pipe first: EPIPE is no failure.
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

/** A free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** Two random adjacent /24 blocks in 10.128.0.0/9 for a test daemon's bridge and isolated networks. */
export function testNetworkCidrs(): { bridge: string; isolated: string } {
  const k = Math.floor(Math.random() * 16384);
  const b = `10.${128 + (k >> 7)}.${(k & 127) * 2}`;
  const i = `10.${128 + (k >> 7)}.${(k & 127) * 2 + 1}`;
  return { bridge: `${b}.0/24`, isolated: `${i}.0/24` };
}

/** One running test daemon. */
export class TestDaemon {
  proc?: ChildProcess;
  log = '';
  readonly configDir: string;
  readonly stateDir: string;
  readonly instance: string;
  /** `<own>/<instance>` in every hierarchy, as the daemon's first start found them: destroy() checks they went. */
  private cgroupDirs: string[] = [];
  /** Command line put before joblet serve and rnx (e.g. nsenter into a test network namespace). */
  wrap: string[] = [];

  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {
    this.configDir = path.join(dir, 'config');
    this.stateDir = path.join(dir, 'state');
    this.instance = `t${process.pid.toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`.slice(0, 12);
  }

  /** The rnx binary, for tests that spawn it themselves. */
  readonly rnxBinary = RNX;

  /** The client config written by joblet init. */
  get rnxConfig(): string {
    return path.join(this.configDir, 'rnx-config.yml');
  }

  /** The server config written by joblet init. */
  get serverConfig(): string {
    return path.join(this.configDir, 'joblet-config.yml');
  }

  /** init + serve; resolves when the daemon listens. Failures are printed: uvu hides errors thrown in hooks. */
  static async start(opts: { configEdit?: (yaml: string) => string; wrap?: string[] } = {}): Promise<TestDaemon> {
    try {
      return await TestDaemon.startInner(opts);
    } catch (err) {
      process.stderr.write(`TestDaemon.start failed: ${err instanceof Error ? err.message : String(err)}\n`);
      throw err;
    }
  }

  private static async startInner(opts: { configEdit?: (yaml: string) => string; wrap?: string[] }): Promise<TestDaemon> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'joblet-test-'));
    const d = new TestDaemon(dir, await freePort());
    d.wrap = opts.wrap ?? [];
    try {
      await d.setUp(opts);
    } catch (err) {
      await d.destroy();
      throw err;
    }
    return d;
  }

  private async setUp(opts: { configEdit?: (yaml: string) => string }): Promise<void> {
    const d = this;
    const init = await exec(JOBLET, ['init', '--dir', d.configDir, '--address', `127.0.0.1:${d.port}`, '--state-dir', d.stateDir, '--instance', d.instance]);
    if (init.code !== 0) throw new Error(`joblet init failed: ${init.stderr}`);
    // Daemons of parallel tests need separate blocks for their built-in networks (overlaps are refused).
    const cidrs = testNetworkCidrs();
    fs.writeFileSync(
      d.serverConfig,
      fs
        .readFileSync(d.serverConfig, 'utf8')
        .replace(/^  bridgeCidr: .*$/m, `  bridgeCidr: "${cidrs.bridge}"`)
        .replace(/^  isolatedCidr: .*$/m, `  isolatedCidr: "${cidrs.isolated}"`),
    );
    if (opts.configEdit) fs.writeFileSync(d.serverConfig, opts.configEdit(fs.readFileSync(d.serverConfig, 'utf8')));
    await d.serve();
  }

  /** Start (or restart) `joblet serve`. */
  async serve(): Promise<void> {
    const [cmd, ...pre] = [...this.wrap, JOBLET];
    const proc = spawn(cmd!, [...pre, 'serve', '--config', this.serverConfig], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    // Only this run's output counts: after a restart the log already holds an earlier "listening on".
    const from = this.log.length;
    await new Promise<void>((resolve, reject) => {
      const onData = (d: Buffer) => {
        this.log += d.toString();
        if (this.log.slice(from).includes('listening on')) resolve();
      };
      proc.stdout!.on('data', onData);
      proc.stderr!.on('data', onData);
      proc.on('exit', (code) => reject(new Error(`joblet serve exited with ${code}:\n${this.log}`)));
      setTimeout(() => reject(new Error(`joblet serve did not start in 20 s:\n${this.log}`)), 20000).unref();
    });
    if (this.cgroupDirs.length === 0) {
      try {
        this.cgroupDirs = instanceCgroupDirs(proc.pid!, this.instance);
      } catch {
        /* gone again already: serve's caller sees that soon enough */
      }
    }
  }

  /** Run rnx against this daemon. */
  rnx(args: string[], opts: { input?: string; timeoutMs?: number; env?: Record<string, string> } = {}): Promise<RunResult> {
    const [cmd, ...pre] = [...this.wrap, RNX];
    return exec(cmd!, [...pre, '--config', this.rnxConfig, ...args], opts);
  }

  /** Start a job and return its id (fails the test when rnx fails). */
  async run(args: string[]): Promise<string> {
    const r = await this.rnx(['run', ...args]);
    const m = /^ID: (\S+)$/m.exec(r.stdout);
    if (r.code !== 0 || !m) throw new Error(`rnx run ${args.join(' ')} failed (${r.code}): ${r.stderr}${r.stdout}`);
    return m[1]!;
  }

  /** Poll until the job is in a terminal state; returns its status JSON. */
  async waitDone(id: string, timeoutMs = 30000): Promise<Record<string, unknown>> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const r = await this.rnx(['status', '--json', id]);
      if (r.code !== 0) throw new Error(`rnx status ${id} failed: ${r.stderr}`);
      const j = JSON.parse(r.stdout) as Record<string, unknown>;
      if (['COMPLETED', 'FAILED', 'STOPPED'].includes(j.status as string)) return j;
      if (Date.now() > until) throw new Error(`job ${id} still ${j.status} after ${timeoutMs} ms`);
      await new Promise((r2) => setTimeout(r2, 100));
    }
  }

  /** Stop the daemon: SIGTERM (graceful) or SIGKILL. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill(signal);
    await exited;
  }

  /** Stop and remove everything this daemon created. */
  async destroy(): Promise<void> {
    await this.stop();
    // A mount still under the dir (a volume, or what a failed test left) would make the removal
    // fail with EBUSY and hide the test that caused it: named on stderr, detached, then removed.
    const left = detachMountsUnder(this.dir);
    if (left.length > 0) process.stderr.write(`notice: detached ${left.length} mount(s) still under the daemon's dir: ${left.join(', ')}\n`);
    fs.rmSync(this.dir, { recursive: true, force: true });
    // A daemon killed on purpose cannot remove its cgroups; one that exited on its own should have.
    const cgroups = this.cgroupDirs.filter((dir) => fs.existsSync(dir));
    if (cgroups.length > 0 && this.proc?.signalCode !== 'SIGKILL') {
      const tail = this.log.trimEnd().split('\n').slice(-15);
      process.stderr.write(`notice: daemon ${this.instance} left its cgroups (${cgroups.join(', ')}); its log ends:\n${tail.map((l) => `notice:   ${l}`).join('\n')}\n`);
    }
    removeInstanceCgroups(this.cgroupDirs);
  }
}

/** Mount points at or under `dir` (by its real path), deepest first, as this process's namespace sees them. */
export function mountsUnder(dir: string): string[] {
  const real = fs.existsSync(dir) ? fs.realpathSync(dir) : dir;
  return fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((m) => m === real || m.startsWith(`${real}/`))
    .reverse();
}

/** Lazily unmount everything under `dir`, deepest first; returns the mount points detached. */
export function detachMountsUnder(dir: string): string[] {
  const left = mountsUnder(dir).filter((m) => m !== fs.realpathSync(dir));
  for (const m of left) spawnSync('umount', ['-l', m]);
  return left;
}
