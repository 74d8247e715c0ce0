/**
 * Parent side of a job process: starts an init stage as PID 1 of a new PID namespace (before its
 * job exists, for the warm pool, or on demand) and hands it one spec. The init's side of the
 * exchange is in init-process.ts, the exchange itself in protocol.ts.
 */
import * as fs from 'node:fs';
import { InvalidArgumentError } from '../shared/errors';
import { INIT_STAGE_ARG, selfCommand } from '../shared/self';
import { spawnChild, type Child } from './children';
import { ALTERNATIVES_DIR, alternativeLinks } from './etc';
import { InitProcess } from './init-process';
import { close, dupAtLeast, pipeCloexec } from './libc/fd';
import { koffiPath } from './libc/koffi';
import { inNewPidNamespace } from './namespaces';
import { decodeSpec, encodeRequest, KOFFI_ENV } from './protocol';
import { MERGED_USR_LINKS } from './rootfs';
import { SandboxSetupError, type SandboxProcess } from './sandbox-process';
import type { JobSpec } from './spec';

/** Call once at daemon start-up, on the main thread (see namespaces.ts). */
export { initPidNamespaceSupport } from './namespaces';

/** Largest spec we send (arguments and environment included). */
export const MAX_SPEC_BYTES = 1 << 20;

export { SandboxSetupError, monotonicMicros, type ProcessExit, type SandboxProcess, type StartupTimings } from './sandbox-process';
export { InitProcess } from './init-process';

/**
 * Checks `spec` and serializes the init request for it. Throws InvalidArgumentError for a
 * malformed spec (e.g. uid 0, NUL in an argument) or one too large, before any init is used.
 */
export function encodeJob(spec: JobSpec): Buffer {
  try {
    decodeSpec(spec);
  } catch (err) {
    throw new InvalidArgumentError(`invalid job spec: ${(err as Error).message}`);
  }
  const visible = [...spec.readOnlyBinds, ...MERGED_USR_LINKS];
  const bytes = encodeRequest({ spec, alternatives: alternativeLinks(ALTERNATIVES_DIR, visible) });
  if (bytes.length > MAX_SPEC_BYTES) {
    throw new InvalidArgumentError(`job spec is ${bytes.length} bytes, more than ${MAX_SPEC_BYTES} (too many or too long arguments/env)`);
  }
  return bytes;
}

/**
 * Starts an init stage that warms up and waits for a job. Must be called on the thread that
 * called initPidNamespaceSupport (the main thread). Throws SandboxSetupError or SyscallError when
 * no process could be created at all.
 */
export function startInit(selfCmd: string[] = selfCommand()): InitProcess {
  const opened = new Set<number>();
  // Our ends stay close-on-exec; the child's ends must not be numbered 0-4, where posix_spawn's
  // dup2 onto the child's fds 0-4 could overwrite one before it is used.
  const high = (fd: number): number => {
    if (fd >= CHILD_FDS) return fd;
    const moved = dupAtLeast(fd, CHILD_FDS);
    close(fd);
    return moved;
  };
  const pipe = (): [number, number] => {
    const [r, w] = pipeCloexec();
    const fds: [number, number] = [high(r), high(w)];
    fds.forEach((fd) => opened.add(fd));
    return fds;
  };
  let child: Child;
  let ends: { specW: number; statusR: number; outR: number; errR: number };
  try {
    const [specR, specW] = pipe();
    const [statusR, statusW] = pipe();
    const [outR, outW] = pipe();
    const [errR, errW] = pipe();
    ends = { specW, statusR, outR, errR };
    const [file, ...prefix] = selfCmd as [string, ...string[]];
    // NODE_NO_WARNINGS: a warning from the init would land in the job's stderr.
    const env = { NODE_NO_WARNINGS: '1', [KOFFI_ENV]: koffiPath() };
    // fds 0-4 of the init: /dev/null, stdout, stderr, the spec pipe, the status pipe (protocol.ts).
    const fds = [devNull(), outW, errW, specR, statusW];
    try {
      child = inNewPidNamespace(() => spawnChild(file, [file, ...prefix, INIT_STAGE_ARG], env, fds));
    } catch (err) {
      throw new SandboxSetupError({ op: 'spawn', args: selfCmd.join(' '), errno: (err as { errno?: string }).errno ?? '', message: `could not start the init stage (${selfCmd.join(' ')}): ${(err as Error).message}`, exitCode: 125 });
    }
    // The child has its copies; ours would keep the pipes open and hide EOF.
    for (const fd of [specR, statusW, outW, errW]) {
      opened.delete(fd);
      close(fd);
    }
  } catch (err) {
    for (const fd of opened) tryClose(fd);
    throw err;
  }
  return new InitProcess(child, ends.specW, ends.statusR, ends.outR, ends.errR);
}

/** How many fds an init is given (0-4). */
const CHILD_FDS = 5;

let nullFd: number | undefined;

/** /dev/null, opened once (close-on-exec, numbered above the child's fds), for the inits' stdin. */
function devNull(): number {
  if (nullFd === undefined) {
    const fd = fs.openSync('/dev/null', fs.constants.O_RDONLY);
    nullFd = fd >= CHILD_FDS ? fd : dupAtLeast(fd, CHILD_FDS);
    if (nullFd !== fd) fs.closeSync(fd);
  }
  return nullFd;
}

/**
 * Starts a sandbox for `spec` with a fresh init (a cold start; pool.ts keeps warm ones). Throws
 * InvalidArgumentError for a malformed spec and SandboxSetupError or SyscallError when no process
 * could be created at all; every later failure arrives through `started`.
 */
export function spawnSandboxed(spec: JobSpec, selfCmd: string[] = selfCommand()): SandboxProcess {
  const request = encodeJob(spec);
  return startInit(selfCmd).claim(request);
}

function tryClose(fd: number): void {
  try {
    close(fd);
  } catch {
    // Already closed on an error path.
  }
}
