/**
 * Namespaces of a job (DESIGN §3.1). Parent half: the PID namespace, created around the spawn
 * of the init process on the daemon's main thread. Child half: mount, UTS, IPC and network
 * namespaces unshared by the init itself, and the cgroup namespace once it has joined its cgroups.
 */
import * as fs from 'node:fs';
import { SyscallError } from '../shared/errors';
import { interfaceUp } from './libc/net';
import { CLONE, setns, unshare } from './libc/ns';

let savedPidNs: number | undefined;

/**
 * Opens the daemon's own pid_for_children namespace so each spawn can return to it. Call once at
 * start-up (it fails fast when the host refuses namespaces); spawnSandboxed calls it lazily too.
 */
export function initPidNamespaceSupport(): void {
  if (savedPidNs !== undefined) return;
  // /proc/self is the main thread (the thread group leader), the thread that spawns jobs.
  savedPidNs = fs.openSync('/proc/self/ns/pid_for_children', fs.constants.O_RDONLY);
}

/**
 * Runs `spawn` with the calling thread's pid_for_children set to a fresh PID namespace, so the
 * process it forks is PID 1 there, and always switches back before returning or throwing: a
 * later spawn (a helper tool, another job) must not land in this job's namespace.
 */
export function inNewPidNamespace<T>(spawn: () => T): T {
  initPidNamespaceSupport();
  unshare(CLONE.NEWPID);
  try {
    return spawn();
  } finally {
    restorePidNamespace();
  }
}

function restorePidNamespace(): void {
  try {
    setns(savedPidNs as number, CLONE.NEWPID);
  } catch (err) {
    // Every later child would be created inside a dead job's namespace: not recoverable.
    const detail = err instanceof SyscallError ? err.message : String(err);
    throw new SyscallError('setns', `pid_for_children back to the daemon's namespace (${detail})`, err instanceof SyscallError ? err.errno : '');
  }
}

/**
 * Child half: private mount, UTS and IPC namespaces, and a network namespace with loopback up:
 * the one the daemon prepared at `netnsPath` (joined with setns), else a new, empty one.
 */
export function unshareJobNamespaces(netnsPath?: string): void {
  if (!netnsPath) {
    unshare(CLONE.NEWNS | CLONE.NEWUTS | CLONE.NEWIPC | CLONE.NEWNET);
  } else {
    // Opened before the mount namespace changes, while the path certainly names the host's file.
    const fd = fs.openSync(netnsPath, fs.constants.O_RDONLY);
    try {
      unshare(CLONE.NEWNS | CLONE.NEWUTS | CLONE.NEWIPC);
      setns(fd, CLONE.NEWNET);
    } finally {
      fs.closeSync(fd);
    }
  }
  // A new network namespace has only lo, and it starts down (a prepared one has it up already).
  interfaceUp('lo');
}

/** Child half: a cgroup namespace rooted at the cgroups just joined, so paths do not leak the host's layout. */
export function unshareCgroupNamespace(): void {
  unshare(CLONE.NEWCGROUP);
}
