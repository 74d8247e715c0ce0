/**
 * One step of a runtime build as a sandboxed process: the same sandbox as a job (own PID, mount,
 * UTS, IPC and network namespaces, a synthesized /etc, the host's /usr read-only for the tools,
 * no capabilities, no_new_privs, rlimits) in its own cgroup with memory and process limits, on
 * the build network (`runtimes.buildNetwork`, "isolated" by default: the outside only, never the
 * host). What differs from a job:
 *   - it runs as `runtimes.buildIdBase`, a host uid used for nothing else, and under the builder
 *     seccomp profile, so it may create its own user namespace, which the daemon maps onto
 *     buildIdBase… (src/sandbox/userns.ts);
 *   - /work is the build's directory on disk (the runtime being built lives there), and the apt
 *     cache is bound at /volumes/apt-cache when the step is allowed to have it.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CgroupManager } from '../../sandbox/cgroups/manager';
import type { SandboxProcess } from '../../sandbox/spawn';
import type { JobSpec } from '../../sandbox/spec';
import { mapChildUserNamespace } from '../../sandbox/userns';
import { describeError, JobletError } from '../../shared/errors';
import type { JobRecord } from '../../store/job-record';
import type { JobResource } from '../jobs/manager';
import { buildJobSpec, JOB_PATH, type SpecSettings } from '../jobs/sandbox-spec';
import { IN_BUILD } from './build-script';

/** What build steps need from the daemon. */
export interface BuildSandboxDeps {
  cgroups: CgroupManager;
  spawn: (spec: JobSpec) => SandboxProcess;
  /** The network manager's JobResource (attaches a step to runtimes.buildNetwork). */
  network?: JobResource;
  specSettings: SpecSettings;
}

/** One step. */
export interface StepOptions {
  /** Unique id (a UUID): names the step's cgroup and network namespace. */
  id: string;
  /** The build's staging directory on the host; `<dir>/work` is bound at /work. */
  dir: string;
  /** Script to run, a path inside the sandbox (/work/...). */
  script: string;
  /** Host directory of the apt cache, bound at /volumes/apt-cache; absent: no cache. */
  cacheDir?: string;
  network: string;
  memoryBytes: number;
  timeoutMs: number;
  idBase: number;
  onLine: (stream: 'stdout' | 'stderr', line: string) => void;
  signal: AbortSignal;
}

/** How a step ended. */
export interface StepResult {
  exitCode: number;
  signal?: string;
  timedOut: boolean;
  oomKilled: boolean;
  aborted: boolean;
}

/** Ids a build's user namespace maps (0…65535 inside). */
export const BUILD_ID_COUNT = 65536;

/** Runs one step to its end; throws only when the sandbox could not be set up. */
export async function runBuildStep(deps: BuildSandboxDeps, o: StepOptions): Promise<StepResult> {
  const cgroup = deps.cgroups.create(o.id);
  const releases: (() => Promise<void>)[] = [];
  const rootDir = path.join(o.dir, `sandbox-${o.id.slice(0, 8)}`);
  let timedOut = false;
  let aborted = false;
  try {
    fs.mkdirSync(rootDir, { mode: 0o700 });
    cgroup.setLimits({ memoryBytes: o.memoryBytes, pids: 4096 });
    const job = stepRecord(o);
    let spec = buildJobSpec(job, { root: rootDir, work: path.join(o.dir, 'work') }, cgroup.procsFiles, deps.specSettings);
    if (deps.network) {
      const got = await deps.network.acquire(job);
      releases.push(got.release);
      spec = { ...spec, ...got.spec };
    }
    spec = {
      ...spec,
      uid: o.idBase,
      gid: o.idBase,
      userName: 'build',
      env: { PATH: JOB_PATH, HOME: '/tmp', LANG: 'C.UTF-8', TMPDIR: '/tmp' },
      // mmdebstrap and apt keep their temporary files in /tmp (RAM, charged to the step's cgroup).
      tmpSizeBytes: 1024 * 1024 * 1024,
      rlimits: { CORE: [0, 0], NOFILE: [4096, 4096] },
      binds: o.cacheDir ? [{ source: o.cacheDir, target: IN_BUILD.cache }] : [],
      seccompProfile: 'builder',
    };
    const proc = deps.spawn(spec);
    let alive = true;
    const exited = proc.exited.then((e) => {
      alive = false;
      return e;
    });
    const drained = Promise.all([pumpLines(proc.stdout, (l) => o.onLine('stdout', l)), pumpLines(proc.stderr, (l) => o.onLine('stderr', l))]);
    const kill = () => void cgroup.killAll().catch(() => undefined);
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, o.timeoutMs);
    const onAbort = () => {
      aborted = true;
      kill();
    };
    o.signal.addEventListener('abort', onAbort, { once: true });
    if (o.signal.aborted) onAbort();
    try {
      await proc.started.catch((err) => {
        throw new JobletError('INTERNAL', `the build sandbox could not start: ${describeError(err)}`);
      });
      await mapChildUserNamespace(proc.pid, o.idBase, BUILD_ID_COUNT, { expectId: o.idBase, alive: () => alive, timeoutMs: 60_000, signal: o.signal }).catch((err) => {
        kill();
        throw err;
      });
      const exit = await exited;
      await cgroup.killAll();
      await Promise.race([drained, new Promise((r) => setTimeout(r, 5000).unref())]);
      const oomKilled = (cgroup.stats().oomKills ?? 0) > 0;
      const code = exit.code ?? 128 + signalNumber(exit.signal);
      return { exitCode: code, signal: exit.signal ?? undefined, timedOut, oomKilled, aborted };
    } finally {
      clearTimeout(timer);
      o.signal.removeEventListener('abort', onAbort);
      if (alive) {
        kill();
        await exited;
      }
    }
  } finally {
    await cgroup.killAll().catch(() => undefined);
    await cgroup.destroy().catch(() => undefined);
    for (const r of releases.reverse()) await r().catch(() => undefined);
    fs.rmSync(rootDir, { recursive: true, force: true });
  }
}

/** The job-shaped record the spec builder and the network manager take for a build step. */
function stepRecord(o: StepOptions): JobRecord {
  return {
    id: o.id,
    command: '/usr/bin/unshare',
    args: ['--user', '--mount', '--keep-caps', '--', '/bin/sh', o.script],
    env: {},
    workdir: IN_BUILD.work,
    status: 'RUNNING',
    createdAt: Date.now(),
    uploads: [],
    owner: 'runtime-build',
    outputTruncated: false,
    volumes: [],
    limits: { cpuPercent: 0, cpuCores: '', memoryBytes: o.memoryBytes, ioBps: 0, pids: 4096, diskBytes: 0, timeoutMs: o.timeoutMs },
    network: o.network,
  };
}

/** Splits a stream into lines (a trailing partial line is delivered at the end). */
function pumpLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): Promise<void> {
  return new Promise((resolve) => {
    let buf = '';
    stream.on('data', (chunk: Buffer) => {
      buf += chunk.toString('utf8');
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        onLine(buf.slice(0, nl).replace(/\r$/, ''));
        buf = buf.slice(nl + 1);
      }
      // A progress bar without newlines must not grow the buffer forever.
      if (buf.length > 64 * 1024) {
        onLine(buf);
        buf = '';
      }
    });
    const end = () => {
      if (buf) onLine(buf);
      buf = '';
      resolve();
    };
    stream.on('end', end);
    stream.on('close', end);
    stream.on('error', end);
  });
}

function signalNumber(sig: NodeJS.Signals | null): number {
  if (!sig) return 0;
  return os.constants.signals[sig] ?? 0;
}
