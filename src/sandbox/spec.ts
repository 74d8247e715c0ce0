/**
 * What the daemon hands the sandbox for one job. The daemon prepares every host-side path before
 * spawning (directories exist, uploads are written, cgroups are created); the init stage only
 * consumes them. Everything here is plain JSON: it crosses a pipe to the init process.
 */

/** One job as the init stage needs it. */
export interface JobSpec {
  /** UUIDv4 of the job; also exported as JOB_ID. */
  jobId: string;
  /** Command as the user gave it: absolute path or a name looked up in the job's PATH. */
  command: string;
  /** Arguments, passed verbatim. */
  args: string[];
  /** The complete environment of the command (the daemon builds PATH, HOME, USER, HOSTNAME, JOB_ID, --env). */
  env: Record<string, string>;
  /** Working directory inside the sandbox (default /work). */
  workdir: string;
  /** Unprivileged uid and gid the command runs as (0 is refused: a job never runs as root). */
  uid: number;
  gid: number;
  /** User name written into the synthesized /etc/passwd for uid. */
  userName: string;
  /** Hostname inside the job's UTS namespace. */
  hostname: string;
  /** Empty host directory (under the state dir) that the init mounts the new root's tmpfs on. */
  rootDir: string;
  /** Host directory bind-mounted read-write at /work (uploads are already inside, owned by uid). */
  workDirHost: string;
  /** Size of the private /tmp tmpfs, bytes. */
  tmpSizeBytes: number;
  /** Host paths bound read-only, nosuid, nodev at the same path inside (e.g. /usr). Missing ones are skipped. */
  readOnlyBinds: string[];
  /** Host file of CA certificates to expose read-only at /etc/ssl/certs/ca-certificates.crt, if it exists. */
  caCertsFile: string;
  /** Extra lines for the synthesized /etc/hosts and the content of /etc/resolv.conf. */
  hostsExtra: string;
  resolvConf: string;
  /** Host cgroup.procs files the init joins as its very last step before dropping privileges. */
  cgroupProcsFiles: string[];
  /**
   * rlimits applied before execve: name (e.g. "NOFILE", "CORE", "NPROC") → [soft, hard]; a negative
   * value means unlimited. CORE defaults to [0, 0]; NOFILE, when absent, to soft 1024 under the
   * current hard limit.
   */
  rlimits: Record<string, [number, number]>;
  /**
   * A network namespace the daemon prepared (a bind-mounted nsfs file such as /run/netns/<name>)
   * that the init joins with setns instead of creating an empty one. Absent: a new namespace with
   * only loopback.
   */
  netnsPath?: string;
  /** Extra read-write binds (host directory → absolute path inside), e.g. volumes at /volumes/NAME. */
  binds?: { source: string; target: string }[];
  /**
   * A runtime (host path of its root filesystem) that takes the place of the host's /usr: its usr
   * (and opt) read-only, nosuid, nodev, its merged-/usr links, its package configuration under the
   * synthesized /etc (runtime-root.ts). readOnlyBinds should then be empty: nothing of the host's
   * /usr is seen.
   */
  runtime?: { rootfs: string };
  /**
   * The seccomp policy installed before execve: 'job' (the default) or 'builder', for runtime
   * builds, which create a user namespace of their own and mount inside it (seccomp/policy.ts).
   */
  seccompProfile?: 'job' | 'builder';
}

/** A setup failure reported by the init stage over its status pipe; never loose stderr text. */
export interface SetupFailure {
  /** The step or system call that failed, e.g. "mount", "pivot_root", "execve". */
  op: string;
  /** Its arguments as text, e.g. "/proc → /…/proc, MS_NOSUID|MS_NODEV". */
  args: string;
  /** errno name (EPERM, ENOENT...) or "" when not a system call. */
  errno: string;
  /** A message for the user, e.g. "command 'foo' not found in PATH". */
  message: string;
  /** Exit code the job should report: 127 command not found, 126 not executable, 125 other setup failure. */
  exitCode: number;
}
