/**
 * One init stage process on the parent's side, from its start to its claim by a job: the pipes
 * whose other ends it holds, its "ready" report and the status stream that decides `started`
 * (protocol.ts describes the exchange).
 */
import * as net from 'node:net';
import type { Readable } from 'node:stream';
import { JobletError } from '../shared/errors';
import type { Child } from './children';
import { close } from './libc/fd';
import { StatusParser } from './protocol';
import { monotonicMicros, SandboxSetupError, type ProcessExit, type SandboxProcess } from './sandbox-process';

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
