/**
 * The init stage: runs in a fresh process of our own binary that is PID 1 of the job's new PID
 * namespace. It warms up before any job exists (so the daemon can keep a pool of them, pool.ts),
 * waits for its one job spec, turns itself into that job's sandbox step by step, and execve()s
 * the command, so no Node process stays behind per job (DESIGN §3.2, §3.6).
 *
 * Only synchronous calls on the main thread: namespaces belong to threads, and libuv's
 * threadpool threads stay in the old mount namespace, so an async fs call would act on the host.
 */
import * as fs from 'node:fs';
import { SyscallError } from '../shared/errors';
import { CommandError, execFailure, resolveCommand } from './command';
import { prctl } from './libc/creds';
import { cloexecFrom, setCloexec } from './libc/fd';
import { koffi, useKoffiPath } from './libc/koffi';
import { chdir, execve, sethostname, setsid, umask } from './libc/proc';
import { resetSignals } from './libc/signals';
import { unshareCgroupNamespace, unshareJobNamespaces } from './namespaces';
import { dropPrivileges, setNoNewPrivs } from './privileges';
import { KOFFI_ENV, readRequest, SPEC_FD, STATUS_FD, writeStatus, type StepStamp } from './protocol';
import { applyRlimits } from './rlimits';
import { buildRoot, enterRoot } from './rootfs';
import { installJobFilter, prepareJobFilter } from './seccomp/install';
import type { JobSpec, SetupFailure } from './spec';

const PR_SET_PDEATHSIG = 1;
const SIGKILL = 9;

/** Knobs of the init stage that no JobSpec, config or CLI flag can reach. */
export interface InitStageOptions {
  /**
   * false: skip the seccomp filter. Only for the control runs of tests/privileged/sandbox/
   * seccomp.test.ts (their own bundled entry), which show that a probe fails because of the
   * filter and not because of a missing capability. src/main.ts never passes it.
   */
  seccomp?: boolean;
}

/** CLOCK_MONOTONIC in µs, the clock the daemon reads too (libuv's hrtime). */
function nowMicros(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/**
 * Warms up, waits for the one job spec, runs the checklist; returns an exit code only on failure
 * or when no job ever came (on success execve never returns).
 */
export async function runInitStage(options: InitStageOptions = {}): Promise<number> {
  let step = 'warm up';
  try {
    warmUp(options.seccomp !== false);
    writeStatus(STATUS_FD, { kind: 'ready' });
    step = 'read the job spec';
    const req = readRequest(SPEC_FD);
    // Closed without a request: recycled by the pool, or the daemon is gone. Nothing was done.
    if (!req) return 0;
    const { spec, alternatives } = req;
    const steps: StepStamp[] = [['spec', nowMicros()]];
    let cgroupFds: number[] = [];
    let root: ReturnType<typeof buildRoot> | undefined;
    const checklist: Array<[string, () => void]> = [
      // The job's user owns its output pipes: reopening them through /dev/stdout (/proc/self/fd/1)
      // is checked against the pipe inode's owner, which would otherwise be root.
      ['hand the output pipes to the job user', () => [1, 2].forEach((fd) => fs.fchownSync(fd, spec.uid, spec.gid))],
      // Opened now, while the host's /sys is still visible; written to last.
      ['open cgroup.procs files', () => (cgroupFds = spec.cgroupProcsFiles.map((f) => fs.openSync(f, fs.constants.O_WRONLY)))],
      ['create namespaces', () => unshareJobNamespaces(spec.netnsPath)],
      ['build the root filesystem', () => (root = buildRoot(spec, alternatives))],
      ['enter the root filesystem', () => enterRoot(root!)],
      ['set the hostname', () => sethostname(spec.hostname)],
      // A new session: no controlling terminal shared with the daemon, no signals from its group.
      ['start a new session', () => setsid()],
      ['apply rlimits', () => applyRlimits(spec.rlimits)],
      ['enter the working directory', () => chdir(spec.workdir)],
      // Last before dropping privileges, so the init's own memory is not charged to a small limit.
      ['join the job cgroups', () => joinCgroups(cgroupFds)],
      ['create the cgroup namespace', () => unshareCgroupNamespace()],
      ['drop privileges', () => dropPrivileges(spec.uid, spec.gid)],
      // Again after the credential change (which clears it): if the daemon dies, so does the job's
      // PID 1, and with it the whole PID namespace. It survives execve of a normal binary.
      ['die with the daemon', () => prctl(PR_SET_PDEATHSIG, SIGKILL)],
      ['set no_new_privs', () => setNoNewPrivs()],
    ];
    for (const [name, run] of checklist) {
      step = name;
      run();
      steps.push([name, nowMicros()]);
    }
    step = 'find the command';
    const file = resolveCommand(spec.command, spec.env.PATH, spec.workdir);
    steps.push([step, nowMicros()]);
    step = 'prepare to exec';
    finalizeBeforeExec(options.seccomp !== false, spec.seccompProfile);
    steps.push([step, nowMicros()]);
    writeStatus(STATUS_FD, { kind: 'exec', steps });
    step = 'execve';
    return exec(spec, file);
  } catch (err) {
    const failure = toFailure(step, err);
    report(failure);
    return failure.exitCode;
  }
}

/**
 * What an init does before any job exists; none of it depends on a spec. It dies with the
 * daemon from here on (if the daemon is already gone, the "ready" write fails with EPIPE and the
 * init ends), loads koffi (the file the daemon named, else found as usual) and compiles the
 * seccomp program, so a claimed init starts at the checklist.
 */
function warmUp(seccomp: boolean): void {
  const koffiFile = process.env[KOFFI_ENV];
  if (koffiFile) useKoffiPath(koffiFile);
  delete process.env[KOFFI_ENV];
  koffi();
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (seccomp) prepareJobFilter();
}

/** Moves this process into every job cgroup ("0" means the writer) and closes the files. */
function joinCgroups(fds: number[]): void {
  for (const fd of fds) {
    fs.writeSync(fd, '0');
    fs.closeSync(fd);
  }
}

/**
 * The last step before execve: fds 3 and up close on exec (nothing of the init leaks), 0–2 stay
 * open (Node marks them close-on-exec, DESIGN §3.3), signal dispositions and mask are reset,
 * umask is 022, and, last of all, the seccomp filter: after no_new_privs (which lets a process
 * without CAP_SYS_ADMIN load one) and after every other setup call, so the filter need not allow
 * mount/unshare/setns for our own use (seccomp/install.ts).
 */
function finalizeBeforeExec(seccomp: boolean, profile: JobSpec['seccompProfile']): void {
  cloexecFrom(3);
  for (const fd of [0, 1, 2]) setCloexec(fd, false);
  resetSignals();
  umask(0o022);
  if (seccomp) installJobFilter(profile);
}

function exec(spec: JobSpec, file: string): never {
  try {
    // argv[0] is the command as the user gave it, like a shell does.
    return execve(file, [spec.command, ...spec.args], spec.env);
  } catch (err) {
    if (err instanceof SyscallError) throw execFailure(spec.command, err.errno);
    throw err;
  }
}

/** Turns whatever a step threw into the SetupFailure the parent receives. */
function toFailure(step: string, err: unknown): SetupFailure {
  if (err instanceof CommandError) {
    return { op: step === 'execve' ? 'execve' : 'resolve command', args: '', errno: '', message: err.message, exitCode: err.exitCode };
  }
  const message = `sandbox setup failed (${step}): ${err instanceof Error ? err.message : String(err)}`;
  if (err instanceof SyscallError) return { op: err.op, args: err.args, errno: err.errno, message, exitCode: 125 };
  const e = err as NodeJS.ErrnoException;
  return { op: e.syscall ?? step, args: e.path ?? '', errno: e.code && /^E[A-Z]+$/.test(e.code) ? e.code : '', message, exitCode: 125 };
}

/** Sends the failure to the parent; stderr (the job's log) only if the status pipe is gone. */
function report(failure: SetupFailure): void {
  try {
    writeStatus(STATUS_FD, { kind: 'failure', failure });
  } catch {
    fs.writeSync(2, `joblet: ${failure.message}\n`);
  }
}
