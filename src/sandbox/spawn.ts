/**
 * Parent side of a job process: starts an init stage as PID 1 of a new PID namespace (before its
 * job exists, for the warm pool, or on demand), hands it one spec and turns its status pipe into
 * `started` (see protocol.ts for the exchange).
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import type { Readable } from 'node:stream';
import { InvalidArgumentError, JobletError } from '../shared/errors';
import { INIT_STAGE_ARG, selfCommand } from '../shared/self';
import { spawnChild, type Child } from './children';
import { close, dupAtLeast, pipeCloexec } from './libc/fd';
import { inNewPidNamespace } from './namespaces';
import { ALTERNATIVES_DIR, alternativeLinks } from './etc';
import { koffiPath } from './libc/koffi';
import { decodeSpec, encodeRequest, KOFFI_ENV, StatusParser, type StepStamp } from './protocol';
import { MERGED_USR_LINKS } from './rootfs';
import type { JobSpec, SetupFailure } from './spec';

/** Call once at daemon start-up, on the main thread (see namespaces.ts). */
export { initPidNamespaceSupport } from './namespaces';

/** Largest spec we send (arguments and environment included). */
export const MAX_SPEC_BYTES = 1 << 20;

/** How a process ended. */
export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Where a job's start-up time went: CLOCK_MONOTONIC µs stamps, daemon and init alike. */
export interface StartupTimings {
  /** The init process was spawned (long before the job when it came from the pool). */
  spawnedAt: number;
  /** It reported ready (Node started, modules loaded); absent when the job came first. */
  readyAt?: number;
  /** The job claimed it: its spec went into the pipe. */
  claimedAt: number;
  /** Whether the init was ready when claimed (a warm start). */
  warm: boolean;
  /** The init's own steps: "spec" (request read), then each checklist step, each with its end. */
  steps: StepStamp[];
  /** The status pipe closed after "exec": execve succeeded. */
  execAt: number;
  /** The first byte of output arrived (absent if the job printed nothing). */
  firstByteAt?: number;
}

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
  exited: Promise<ProcessExit>;
  /** Resolves once the command runs and has printed (or ended): the start-up breakdown. */
  startup?: Promise<StartupTimings | undefined>;
}

/** The sandbox could not be set up, or the command could not be started; `failure` says where. */
export class SandboxSetupError extends JobletError {
  constructor(readonly failure: SetupFailure) {
    super(failure.exitCode === 127 ? 'NOT_FOUND' : failure.exitCode === 126 ? 'FAILED_PRECONDITION' : 'INTERNAL', failure.message);
    this.name = 'SandboxSetupError';
  }
}

/** CLOCK_MONOTONIC in µs (the clock the init stamps its steps with). */
export function monotonicMicros(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

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
 * An init stage process waiting for its one job: still starting (Node loading) or ready. It
 * holds nothing job-specific: fresh pipes whose other ends only the daemon has, /dev/null on
 * stdin, an environment of two fixed variables, the daemon's namespaces but a PID namespace of
 * its own. claim() gives it its job; discard() lets it exit without one.
 */
export class InitProcess {
  readonly pid: number;
  /** When it was spawned (monotonic µs). */
  readonly spawnedAt: number;
  /** When it reported ready (monotonic µs), if it did. */
  readyAt?: number;
  /** Resolves true once ready, false if it ended (or was discarded) first. */
  readonly ready: Promise<boolean>;
  /** Its end. */
  readonly exited: Promise<ProcessExit>;
  private ended = false;
  private claimedAt?: number;
  private execAt?: number;
  private discarded = false;
  private readonly specSocket: net.Socket;
  private readonly parser: StatusParser;
  private readonly statusDone: Promise<void>;
  private resolveReady!: (ok: boolean) => void;

  /** Use startInit(). */
  constructor(
    private readonly child: Child,
    specW: number,
    statusR: number,
    private outR: number | undefined,
    private errR: number | undefined,
  ) {
    this.pid = child.pid;
    this.spawnedAt = monotonicMicros();
    this.ready = new Promise((resolve) => (this.resolveReady = resolve));
    this.exited = child.exited.then((exit) => {
      this.ended = true;
      this.resolveReady(false);
      if (this.claimedAt === undefined) this.closeOutput();
      return exit;
    });
    // libuv makes the write end non-blocking (the init's read end stays blocking) and writes a
    // request larger than the pipe in parts as the init reads it: no pipe size limit applies.
    this.specSocket = new net.Socket({ fd: specW, readable: false, writable: true });
    this.specSocket.on('error', () => {
      // EPIPE: the init is gone; its exit status tells the job why.
    });
    this.parser = new StatusParser(() => {
      this.readyAt = monotonicMicros();
      this.resolveReady(true);
    });
    const status = pipeReader(statusR);
    status.setEncoding('utf8');
    this.statusDone = new Promise((resolve) => {
      status.on('data', (chunk: string) => this.parser.push(chunk));
      status.on('end', resolve);
      status.on('close', resolve);
      status.on('error', () => resolve());
    });
  }

  /** True until it is claimed, discarded or gone. */
  get available(): boolean {
    return this.claimedAt === undefined && !this.discarded && !this.ended;
  }

  /** True once it reported ready (and is still available). */
  get isReady(): boolean {
    return this.readyAt !== undefined && this.available;
  }

  /** Hands it its job: `request` from encodeJob(). Once only. */
  claim(request: Buffer): SandboxProcess {
    if (!this.available) throw new JobletError('INTERNAL', `init ${this.pid} is not available for a job`);
    this.claimedAt = monotonicMicros();
    const warm = this.readyAt !== undefined;
    this.specSocket.end(request);
    const stdout = pipeReader(this.outR!);
    const stderr = pipeReader(this.errR!);
    this.outR = this.errR = undefined;
    const started = this.readStarted();
    started.catch(() => {
      // Marks the promise handled; callers still see the rejection when they await it.
    });
    const claimedAt = this.claimedAt;
    const first = firstByte(stdout, stderr);
    const startup = started.then(
      async () => {
        const execAt = this.execAt ?? monotonicMicros();
        const firstByteAt = await first;
        return { spawnedAt: this.spawnedAt, readyAt: this.readyAt, claimedAt, warm, steps: this.parser.state.steps ?? [], execAt, firstByteAt };
      },
      () => undefined,
    );
    return { pid: this.pid, stdout, stderr, started, exited: this.exited, startup };
  }

  /** Lets an unclaimed init go: its spec pipe closes, so it exits without doing anything; SIGKILL if it lingers. */
  discard(): void {
    if (!this.available) return;
    this.discarded = true;
    this.resolveReady(false);
    this.specSocket.end();
    this.closeOutput();
    const timer = setTimeout(() => this.kill(), 5000);
    timer.unref();
    void this.exited.then(() => clearTimeout(timer));
  }

  /** SIGKILL (it is PID 1 of its namespace, so everything in it goes too). */
  kill(): void {
    this.child.kill('SIGKILL');
  }

  private closeOutput(): void {
    for (const fd of [this.outR, this.errR]) if (fd !== undefined) tryClose(fd);
    this.outR = this.errR = undefined;
  }

  /** The status stream to EOF decides the outcome (see protocol.ts). */
  private async readStarted(): Promise<void> {
    await this.statusDone;
    this.execAt = monotonicMicros();
    const { exec, failure } = this.parser.end();
    if (failure) throw new SandboxSetupError(failure);
    if (exec) return;
    const { code, signal } = await this.exited;
    throw new SandboxSetupError({
      op: 'init',
      args: '',
      errno: '',
      message: `the sandbox init stage ended before starting the command (${signal ? `signal ${signal}` : `exit code ${code}`})`,
      exitCode: 125,
    });
  }
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

/** A non-blocking stream over the read end of a pipe (libuv pipe handle, no threadpool). */
function pipeReader(fd: number): net.Socket {
  return new net.Socket({ fd, readable: true, writable: false });
}

/**
 * When the first byte arrives on either stream (monotonic µs), or undefined if both end first.
 * It watches the streams' push() rather than adding a 'data' listener, which would switch them
 * to flowing mode and lose output a consumer has not subscribed to yet.
 */
function firstByte(a: Readable, b: Readable): Promise<number | undefined> {
  return new Promise((resolve) => {
    let open = 2;
    let done = false;
    const restore: Array<() => void> = [];
    const finish = (at: number | undefined) => {
      if (done) return;
      done = true;
      for (const r of restore) r();
      resolve(at);
    };
    for (const s of [a, b]) {
      const push = s.push;
      s.push = function (chunk: unknown, encoding?: BufferEncoding): boolean {
        if (chunk !== null && (chunk as Buffer).length > 0) finish(monotonicMicros());
        else if (chunk === null && --open === 0) finish(undefined);
        return push.call(this, chunk, encoding);
      };
      restore.push(() => {
        s.push = push;
      });
    }
  });
}

function tryClose(fd: number): void {
  try {
    close(fd);
  } catch {
    // Already closed on an error path.
  }
}
