/**
 * Builds the sandbox's JobSpec for a job from the server configuration: the clean environment,
 * the read-only host paths, the synthesized /etc contents, rlimits.
 */
import * as fs from 'node:fs';
import type { JobSpec } from '../../sandbox/spec';
import type { JobRecord } from '../../store/job-record';

/** Job-related server settings the spec needs. */
export interface SpecSettings {
  uid: number;
  gid: number;
  userName: string;
  tmpSizeMB: number;
  nofile: number;
}

/** PATH inside every job. */
export const JOB_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Host paths exposed read-only; merged-/usr hosts only need /usr (the init mirrors the symlinks). */
const READ_ONLY_BINDS = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];

/** Where Debian and friends keep the CA bundle. */
const CA_BUNDLES = ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt'];

/** Hostname of a job: short, valid, recognisable. */
export function jobHostname(id: string): string {
  return `job-${id.slice(0, 8)}`;
}

/**
 * The job's complete environment: ours first, then the runtime's (PATH, JAVA_HOME, ...), then
 * --env and secret_environment (which may override all but JOB_ID and, in a workflow,
 * WORKFLOW_ID, WORKFLOW_JOB and JOB_ATTEMPT).
 */
export function jobEnvironment(job: JobRecord, s: SpecSettings, runtimeEnv: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: JOB_PATH,
    HOME: '/work',
    USER: s.userName,
    LOGNAME: s.userName,
    HOSTNAME: jobHostname(job.id),
    LANG: 'C.UTF-8',
    ...runtimeEnv,
    ...job.env,
    ...job.secretEnv,
    JOB_ID: job.id,
    ...(job.workflowId ? { WORKFLOW_ID: job.workflowId, WORKFLOW_JOB: job.name ?? '', JOB_ATTEMPT: String(job.attempt ?? 1) } : {}),
  };
}

/** The spec handed to the sandbox for one job. */
export function buildJobSpec(job: JobRecord, dirs: { root: string; work: string }, cgroupProcs: string[], s: SpecSettings): JobSpec {
  return {
    jobId: job.id,
    command: job.command,
    args: job.args,
    env: jobEnvironment(job, s),
    workdir: job.workdir,
    uid: s.uid,
    gid: s.gid,
    userName: s.userName,
    hostname: jobHostname(job.id),
    rootDir: dirs.root,
    workDirHost: dirs.work,
    tmpSizeBytes: s.tmpSizeMB * 1024 * 1024,
    readOnlyBinds: READ_ONLY_BINDS.filter(isRealDir),
    caCertsFile: CA_BUNDLES.find((f) => fs.existsSync(f)) ?? '',
    hostsExtra: '',
    resolvConf: hostResolvConf(),
    cgroupProcsFiles: cgroupProcs,
    rlimits: { CORE: [0, 0], NOFILE: [s.nofile, s.nofile] },
  };
}

/** A real directory, not a merged-/usr symlink (those are recreated as symlinks inside). */
function isRealDir(p: string): boolean {
  try {
    return fs.lstatSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** The host's resolvers, without anything that points at the host's own stub resolver. */
function hostResolvConf(): string {
  const loopback = /^\s*nameserver\s+(127\.|::1)/;
  // systemd-resolved's stub (127.0.0.53) forwards to the servers listed in its own file.
  for (const file of ['/etc/resolv.conf', '/run/systemd/resolve/resolv.conf']) {
    try {
      const lines = fs.readFileSync(file, 'utf8').split('\n');
      // A job has its own network namespace: 127.0.0.x resolvers there are not the host's.
      const kept = lines.filter((l) => !loopback.test(l));
      if (kept.some((l) => /^\s*nameserver\s/.test(l))) return kept.join('\n');
    } catch {
      /* try the next */
    }
  }
  return '';
}
