/**
 * The parent ↔ init protocol (DESIGN §3.5). Two pipes beside stdout/stderr. An init is started
 * before any job needs it (the warm pool, pool.ts) or on demand (a cold start); either way it
 * warms up first and then waits for its one job:
 *
 *   daemon (spawn.ts, pool.ts)                          init (init.ts, PID 1 of its own PID ns)
 *     | pipe2 ×4, unshare(NEWPID) → spawn(self __joblet-init) → setns(back)
 *     |                                                  | PDEATHSIG; load koffi and the init's
 *     |                                                  | modules; compile the seccomp filter
 *     |<--- fd 4: {"kind":"ready"}\n ---------------------| then block reading fd 3
 *     |         ... (pooled: until a job claims it) ...
 *     |---- fd 3: InitRequest JSON, then EOF ----------->| read, close
 *     |                                                  | namespaces, root, pivot, cgroups,
 *     |                                                  | privileges ... (the checklist)
 *     |<--- fd 4: {"kind":"exec","steps":[...]}\n --------| about to execve
 *     |<--- fd 4: EOF (fd 4 is CLOEXEC) -----------------| execve succeeded: the command runs
 *     |                        or, on any failure:
 *     |<--- fd 4: {"kind":"failure","failure":{SetupFailure}}\n | exit(failure.exitCode)
 *     |                  or, never claimed (recycled, daemon gone):
 *     |---- fd 3: EOF with no bytes -------------------->| exit 0, nothing done
 *
 * The spec may arrive before "ready" (a cold start writes it at once; the pipe holds it). EOF
 * after "exec" with no failure line means the command is running. EOF with neither means the
 * init died before it could report (a signal, an OOM kill): the parent reports that from the exit
 * status. Messages are single JSON lines so a partial read is never mistaken for a message.
 * "steps" are [step name, CLOCK_MONOTONIC µs when it ended]: the per-step start-up breakdown.
 */
import * as fs from 'node:fs';
import type { JobSpec, SetupFailure } from './spec';

/** Child-side fd that carries the JobSpec. */
export const SPEC_FD = 3;
/** Child-side fd that carries status lines (CLOEXEC in the child, so execve closes it). */
export const STATUS_FD = 4;

/** A start-up step and when it ended (CLOCK_MONOTONIC, µs; the daemon's clock too). */
export type StepStamp = [step: string, atMicros: number];

/** One status line from the init. */
export type StatusMessage = { kind: 'ready' } | { kind: 'exec'; steps?: StepStamp[] } | { kind: 'failure'; failure: SetupFailure };

/** What the spec pipe carries: the job, plus what the daemon already knows and the init need not redo. */
export interface InitRequest {
  spec: JobSpec;
  /** /etc/alternatives links to mirror, [name, target] (see etc.ts alternativeLinks). */
  alternatives: Array<[string, string]>;
}

/**
 * Environment variable naming the koffi.node the daemon loaded: the init loads the same file
 * instead of extracting and hashing it again. Set by the daemon at spawn, before any job exists.
 */
export const KOFFI_ENV = 'JOBLET_KOFFI_PATH';

/** Serializes a request for the spec pipe. */
export function encodeRequest(req: InitRequest): Buffer {
  return Buffer.from(JSON.stringify(req), 'utf8');
}

/**
 * Reads the whole request from fd (until EOF) and checks its shape; undefined when the pipe was
 * closed without a request (the daemon recycled this init or is gone).
 */
export function readRequest(fd: number): InitRequest | undefined {
  const text = fs.readFileSync(fd, 'utf8');
  fs.closeSync(fd);
  if (text === '') return undefined;
  const req = JSON.parse(text) as Partial<InitRequest>;
  const pairs = req.alternatives;
  if (!Array.isArray(pairs) || !pairs.every((p) => Array.isArray(p) && p.length === 2 && p.every((x) => typeof x === 'string'))) {
    throw new Error('init request: alternatives must be a list of [name, target]');
  }
  return { spec: decodeSpec(req.spec), alternatives: pairs };
}

/** Validates a spec object; throws Error naming the first bad field. */
export function decodeSpec(value: unknown): JobSpec {
  if (typeof value !== 'object' || value === null) throw new Error('job spec must be an object');
  const spec = value as Record<string, unknown>;
  const need = (key: string, ok: (v: unknown) => boolean, what: string): void => {
    if (!ok(spec[key])) throw new Error(`job spec field '${key}' must be ${what}`);
  };
  const str = (v: unknown): boolean => typeof v === 'string';
  const absPath = (v: unknown): boolean => typeof v === 'string' && v.startsWith('/') && !v.includes('\0');
  const strArray = (v: unknown): boolean => Array.isArray(v) && v.every(str);
  const id = (v: unknown): boolean => Number.isInteger(v) && (v as number) > 0 && (v as number) < 2 ** 32 - 1;
  for (const key of ['jobId', 'command', 'userName', 'hostname', 'caCertsFile', 'hostsExtra', 'resolvConf']) need(key, str, 'a string');
  // Both end up in /etc files and the UTS namespace: no separators, no newlines.
  need('userName', (v) => typeof v === 'string' && /^[a-z_][a-z0-9_.-]{0,31}$/i.test(v), 'a user name ([a-z_][a-z0-9_.-]*, ≤ 32 chars)');
  need('hostname', (v) => typeof v === 'string' && /^[a-z0-9]([a-z0-9.-]{0,62})$/i.test(v), 'a host name (≤ 63 chars of [a-z0-9.-])');
  for (const key of ['workdir', 'rootDir', 'workDirHost']) need(key, absPath, 'an absolute path');
  for (const key of ['args', 'readOnlyBinds', 'cgroupProcsFiles']) need(key, strArray, 'a list of strings');
  // C strings end at NUL: an argument or variable containing one would silently be cut short.
  const noNul = (v: unknown): boolean => typeof v === 'string' && !v.includes('\0');
  need('command', noNul, 'free of NUL bytes');
  need('args', (v) => (v as unknown[]).every(noNul), 'free of NUL bytes');
  need('env', (v) => typeof v === 'object' && v !== null && Object.entries(v).every(([k, x]) => /^[^=\0]+$/.test(k) && noNul(x)), 'a map of NAME (no "=") to strings without NUL');
  // uid/gid 0 are refused: a job never runs as root, whatever the caller asked.
  for (const key of ['uid', 'gid']) need(key, id, 'a non-zero id');
  need('tmpSizeBytes', (v) => Number.isSafeInteger(v) && (v as number) > 0, 'a positive integer');
  need('rlimits', (v) => typeof v === 'object' && v !== null, 'a map of [soft, hard]');
  return spec as unknown as JobSpec;
}

/** Child side: writes one status line; synchronous, so it is out before execve or exit. */
export function writeStatus(fd: number, msg: StatusMessage): void {
  fs.writeSync(fd, `${JSON.stringify(msg)}\n`);
}

/** Parent side: what the status stream said so far. */
export interface StatusState {
  ready: boolean;
  exec: boolean;
  steps?: StepStamp[];
  failure?: SetupFailure;
}

/**
 * Parent side: reads status lines as they arrive (a chunk may hold several lines or part of one)
 * and calls `onReady` when the init reports it is warm.
 */
export class StatusParser {
  readonly state: StatusState = { ready: false, exec: false };
  private partial = '';

  constructor(private readonly onReady: () => void = () => undefined) {}

  /** Feed the next chunk of the stream. */
  push(chunk: string): void {
    const lines = (this.partial + chunk).split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) this.line(line);
  }

  /** The stream ended: a trailing partial line is garbled by definition. */
  end(): StatusState {
    if (this.partial) this.line(this.partial, true);
    this.partial = '';
    return this.state;
  }

  private line(line: string, truncated = false): void {
    if (!line || this.state.failure) return;
    let msg: StatusMessage;
    try {
      if (truncated) throw new Error('no newline');
      msg = JSON.parse(line) as StatusMessage;
    } catch {
      this.state.failure = { op: 'init', args: '', errno: '', message: `garbled status from the init stage: ${line.slice(0, 200)}`, exitCode: 125 };
      return;
    }
    if (msg.kind === 'ready') {
      if (!this.state.ready) {
        this.state.ready = true;
        this.onReady();
      }
    } else if (msg.kind === 'exec') {
      this.state.exec = true;
      if (Array.isArray(msg.steps)) this.state.steps = msg.steps;
    } else if (msg.kind === 'failure') this.state.failure = msg.failure;
  }
}

/** Parent side: the outcome of a complete status stream (everything read up to EOF). */
export function parseStatus(text: string): { exec: boolean; failure?: SetupFailure } {
  const p = new StatusParser();
  p.push(text);
  const { exec, failure } = p.end();
  return failure ? { exec, failure } : { exec };
}
