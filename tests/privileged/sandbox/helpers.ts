/**
 * Shared set-up for the privileged sandbox tests: a bundled init stage to spawn as "self", job
 * specs over temp directories, and a runner that collects a job's output and exit.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildSync } from 'esbuild';
import { spawnSandboxed, type SandboxSetupError } from '../../../src/sandbox/spawn';
import type { JobSpec } from '../../../src/sandbox/spec';

const repo = path.resolve(__dirname, '../../..');

/**
 * True when the tests can run (root). Otherwise fails, unless JOBLET_ALLOW_SKIP=1, in which case
 * it says why and returns false so the suite registers its tests as skipped (test.skip).
 */
export function requireRoot(): boolean {
  if (process.getuid?.() === 0) return true;
  const why = 'privileged sandbox tests need root (namespaces, mounts, cgroups)';
  if (process.env.JOBLET_ALLOW_SKIP === '1') {
    console.log(`SKIP: ${why}`);
    return false;
  }
  throw new Error(`${why}; set JOBLET_ALLOW_SKIP=1 to skip`);
}

let selfCmd: string[] | undefined;

/**
 * Bundles tests/privileged/sandbox/init-entry.ts into node_modules/.cache (inside the repo, so
 * the koffi loader finds node_modules by walking up) and returns the argv prefix that runs it.
 */
export function initCommand(): string[] {
  if (selfCmd) return selfCmd;
  const outfile = path.join(repo, 'node_modules', '.cache', 'joblet-sandbox-test', `init-${process.pid}.cjs`);
  buildSync({ entryPoints: [path.join(__dirname, 'init-entry.ts')], bundle: true, platform: 'node', target: 'node20', format: 'cjs', outfile, logLevel: 'error' });
  process.on('exit', () => fs.rmSync(outfile, { force: true }));
  selfCmd = [process.env.JOBLET_TEST_NODE ?? process.execPath, outfile];
  return selfCmd;
}

/** A uid/gid that no host account uses, so "the job's user" is unmistakable. */
export const JOB_UID = 64123;
export const JOB_GID = 64124;

/** A temp area for one job: rootDir and workDirHost, removed by cleanup(). */
export interface JobDirs {
  base: string;
  rootDir: string;
  workDirHost: string;
  cleanup(): void;
}

/** Creates the host directories a job needs (work dir owned by the job user). */
export function jobDirs(): JobDirs {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'joblet-sbx-'));
  const rootDir = path.join(base, 'root');
  const workDirHost = path.join(base, 'work');
  fs.mkdirSync(rootDir, { mode: 0o755 });
  fs.mkdirSync(workDirHost, { mode: 0o755 });
  fs.chownSync(workDirHost, JOB_UID, JOB_GID);
  return { base, rootDir, workDirHost, cleanup: () => fs.rmSync(base, { recursive: true, force: true }) };
}

/** A complete spec for `command args` over `dirs`, with overrides. */
export function makeSpec(dirs: JobDirs, command: string, args: string[] = [], over: Partial<JobSpec> = {}): JobSpec {
  return {
    jobId: '4b0f7f8e-6a57-4c1e-9d49-0d2b4a0c9a11',
    command,
    args,
    env: { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: '/work', USER: 'job', HOSTNAME: 'job-4b0f7f8e', JOB_ID: '4b0f7f8e-6a57-4c1e-9d49-0d2b4a0c9a11' },
    workdir: '/work',
    uid: JOB_UID,
    gid: JOB_GID,
    userName: 'job',
    hostname: 'job-4b0f7f8e',
    rootDir: dirs.rootDir,
    workDirHost: dirs.workDirHost,
    tmpSizeBytes: 16 * 1024 * 1024,
    readOnlyBinds: ['/usr', '/bin', '/sbin', '/lib', '/lib64', '/lib32'],
    caCertsFile: '/etc/ssl/certs/ca-certificates.crt',
    hostsExtra: '10.99.0.1\tgateway.joblet\n',
    resolvConf: 'nameserver 10.99.0.1\n',
    cgroupProcsFiles: [],
    rlimits: { NOFILE: [256, 256] },
    ...over,
  };
}

/** What a finished job showed. */
export interface JobResult {
  stdout: string;
  stderr: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  setupError?: SandboxSetupError;
  pid: number;
}

/** Runs a spec to completion. */
export async function runJob(spec: JobSpec): Promise<JobResult> {
  const proc = spawnSandboxed(spec, initCommand());
  const collect = (s: NodeJS.ReadableStream): Promise<string> =>
    new Promise((resolve, reject) => {
      let text = '';
      s.setEncoding('utf8');
      s.on('data', (d: string) => (text += d));
      s.on('end', () => resolve(text));
      s.on('error', reject);
    });
  const [stdout, stderr] = [collect(proc.stdout), collect(proc.stderr)];
  let setupError: SandboxSetupError | undefined;
  await proc.started.catch((err: SandboxSetupError) => (setupError = err));
  const { code, signal } = await proc.exited;
  return { stdout: await stdout, stderr: await stderr, code, signal, setupError, pid: proc.pid };
}

/** Runs `sh -c script` in a fresh sandbox and removes its directories afterwards. */
export async function sh(script: string, over: Partial<JobSpec> = {}): Promise<JobResult> {
  const dirs = jobDirs();
  try {
    return await runJob(makeSpec(dirs, 'sh', ['-c', script], over));
  } finally {
    dirs.cleanup();
  }
}
