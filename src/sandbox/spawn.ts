/**
 * Parent side of a job process: creates the init stage as PID 1 of a new PID namespace, hands it
 * the spec and turns its status pipe into `started` (see protocol.ts for the exchange).
 */
import * as child_process from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import type { Readable } from 'node:stream';
import { InvalidArgumentError, JobletError } from '../shared/errors';
import { INIT_STAGE_ARG, selfCommand } from '../shared/self';
import { close, getPipeSize, pipeCloexec, setPipeSize } from './libc/fd';
import { inNewPidNamespace } from './namespaces';
import { ALTERNATIVES_DIR, alternativeLinks } from './etc';
import { koffiPath } from './libc/koffi';
import { decodeSpec, encodeRequest, parseStatus, SPEC_FD, STATUS_FD } from './protocol';
import { MERGED_USR_LINKS } from './rootfs';
import type { JobSpec, SetupFailure } from './spec';

/** Call once at daemon start-up, on the main thread (see namespaces.ts). */
export { initPidNamespaceSupport } from './namespaces';

/** Largest spec we send: the whole spec is written into the pipe before the child exists. */
export const MAX_SPEC_BYTES = 1 << 20;

/** A job process as the daemon sees it. */
export interface SandboxProcess {
  /** Host pid of the job's PID 1 (the init, then the command itself). */
  pid: number;
  /** The command's stdout and stderr (real pipes, so /dev/stdout works inside). */
  stdout: Readable;
  stderr: Readable;
  /** Resolves when execve succeeded; rejects with SandboxSetupError. */
  started: Promise<void>;
  /** The process's end. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** The sandbox could not be set up, or the command could not be started; `failure` says where. */
export class SandboxSetupError extends JobletError {
  constructor(readonly failure: SetupFailure) {
    super(failure.exitCode === 127 ? 'NOT_FOUND' : failure.exitCode === 126 ? 'FAILED_PRECONDITION' : 'INTERNAL', failure.message);
    this.name = 'SandboxSetupError';
  }
}

/**
 * Starts the init stage for `spec`. Must be called on the thread that called
 * initPidNamespaceSupport (the main thread). Throws InvalidArgumentError for a malformed spec
 * (e.g. uid 0, NUL in an argument) and SandboxSetupError or SyscallError when no process could
 * be created at all; every later failure arrives through `started`.
 */
export function spawnSandboxed(spec: JobSpec, selfCmd: string[] = selfCommand()): SandboxProcess {
  try {
    decodeSpec(spec);
  } catch (err) {
    throw new InvalidArgumentError(`invalid job spec: ${(err as Error).message}`);
  }
  const visible = [...spec.readOnlyBinds, ...MERGED_USR_LINKS];
  const specBytes = encodeRequest({ spec, koffiPath: koffiPath(), alternatives: alternativeLinks(ALTERNATIVES_DIR, visible) });
  if (specBytes.length > MAX_SPEC_BYTES) {
    throw new InvalidArgumentError(`job spec is ${specBytes.length} bytes, more than ${MAX_SPEC_BYTES} (too many or too long arguments/env)`);
  }
  const opened = new Set<number>();
  const pipe = (nonblock = false): [number, number] => {
    const fds = pipeCloexec(nonblock);
    fds.forEach((fd) => opened.add(fd));
    return fds;
  };
  const closeFd = (fd: number): void => {
    opened.delete(fd);
    close(fd);
  };
  let child: child_process.ChildProcess;
  let parentEnds: { statusR: number; outR: number; errR: number };
  try {
    // Non-blocking: the whole request is written before the child exists, so a pipe too small
    // for it must fail loudly (EAGAIN) rather than block the daemon's event loop forever.
    const [specR, specW] = pipe(true);
    const [statusR, statusW] = pipe();
    const [outR, outW] = pipe();
    const [errR, errW] = pipe();
    parentEnds = { statusR, outR, errR };
    // The job's user owns its output pipes: reopening them through /dev/stdout (/proc/self/fd/1)
    // is checked against the pipe inode's owner, which would otherwise be root.
    for (const fd of [outW, errW]) fs.fchownSync(fd, spec.uid, spec.gid);
    // A user over pipe-user-pages-soft gets small pipes; grow this one to hold the whole request.
    if (specBytes.length > getPipeSize(specW)) setPipeSize(specW, specBytes.length);
    for (let off = 0; off < specBytes.length; ) off += fs.writeSync(specW, specBytes, off);
    closeFd(specW);
    const stdio: child_process.StdioOptions = ['ignore', outW, errW];
    stdio[SPEC_FD] = specR;
    stdio[STATUS_FD] = statusW;
    const [file, ...prefix] = selfCmd as [string, ...string[]];
    child = inNewPidNamespace(() =>
      // NODE_NO_WARNINGS: a warning from the init would land in the job's stderr.
      child_process.spawn(file, [...prefix, INIT_STAGE_ARG], { stdio, env: { NODE_NO_WARNINGS: '1' } }),
    );
    // The child has its copies; ours would keep the pipes open and hide EOF.
    for (const fd of [specR, statusW, outW, errW]) closeFd(fd);
  } catch (err) {
    for (const fd of opened) tryClose(fd);
    throw err;
  }
  const { statusR, outR, errR } = parentEnds;
  child.on('error', () => {
    // Spawn errors are reported through the pid check below; later kill() errors are irrelevant.
  });
  if (child.pid === undefined) {
    for (const fd of [statusR, outR, errR]) tryClose(fd);
    throw new SandboxSetupError({ op: 'spawn', args: selfCmd.join(' '), errno: '', message: `could not start the init stage (${selfCmd.join(' ')})`, exitCode: 125 });
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
  const started = readStarted(pipeReader(statusR), exited);
  started.catch(() => {
    // Marks the promise handled; callers still see the rejection when they await it.
  });
  return { pid: child.pid, stdout: pipeReader(outR), stderr: pipeReader(errR), started, exited };
}

/** A non-blocking stream over the read end of a pipe (libuv pipe handle, no threadpool). */
function pipeReader(fd: number): net.Socket {
  return new net.Socket({ fd, readable: true, writable: false });
}

/** Collects the status stream to EOF and decides the outcome (see protocol.ts). */
async function readStarted(status: net.Socket, exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of status) chunks.push(chunk as Buffer);
  const { exec, failure } = parseStatus(Buffer.concat(chunks).toString('utf8'));
  if (failure) throw new SandboxSetupError(failure);
  if (exec) return;
  const { code, signal } = await exited;
  throw new SandboxSetupError({
    op: 'init',
    args: '',
    errno: '',
    message: `the sandbox init stage ended before starting the command (${signal ? `signal ${signal}` : `exit code ${code}`})`,
    exitCode: 125,
  });
}

function tryClose(fd: number): void {
  try {
    close(fd);
  } catch {
    // Already closed on an error path.
  }
}
