/**
 * The parent ↔ init protocol (DESIGN §3.5). Two blocking pipes beside stdout/stderr:
 *
 *   daemon (spawn.ts)                                   init (init.ts, PID 1 of the job's PID ns)
 *     | pipe2 ×4, write JobSpec JSON into the spec pipe, close its write end
 *     | unshare(NEWPID) → spawn(self __joblet-init) → setns(back)
 *     |---- fd 3: InitRequest JSON, then EOF --------------------->| read, close
 *     |                                                            | namespaces, root, pivot, cgroups,
 *     |                                                            | privileges ... (the checklist)
 *     |<--- fd 4: {"kind":"exec"}\n -------------------------------| about to execve
 *     |<--- fd 4: EOF (fd 4 is CLOEXEC) ---------------------------| execve succeeded: the command runs
 *     |                        or, on any failure:
 *     |<--- fd 4: {"kind":"failure","failure":{SetupFailure}}\n ---| exit(failure.exitCode)
 *
 * EOF after "exec" with no failure line means the command is running. EOF with neither means the
 * init died before it could report (a signal, an OOM kill): the parent reports that from the exit
 * status. Messages are single JSON lines so a partial read is never mistaken for a message.
 */
import * as fs from 'node:fs';
import type { JobSpec, SetupFailure } from './spec';

/** Child-side fd that carries the JobSpec. */
export const SPEC_FD = 3;
/** Child-side fd that carries status lines (CLOEXEC in the child, so execve closes it). */
export const STATUS_FD = 4;

/** One status line from the init. */
export type StatusMessage = { kind: 'exec' } | { kind: 'failure'; failure: SetupFailure };

/** What the spec pipe carries: the job, plus what the daemon already knows and the init need not redo. */
export interface InitRequest {
  spec: JobSpec;
  /** koffi.node the daemon loaded; the init loads the same file instead of extracting/hashing it again. */
  koffiPath?: string;
  /** /etc/alternatives links to mirror, [name, target] (see etc.ts alternativeLinks). */
  alternatives: Array<[string, string]>;
}

/** Serializes a request for the spec pipe. */
export function encodeRequest(req: InitRequest): Buffer {
  return Buffer.from(JSON.stringify(req), 'utf8');
}

/** Reads the whole request from fd (until EOF) and checks its shape. */
export function readRequest(fd: number): InitRequest {
  const text = fs.readFileSync(fd, 'utf8');
  fs.closeSync(fd);
  const req = JSON.parse(text) as Partial<InitRequest>;
  if (req.koffiPath !== undefined && typeof req.koffiPath !== 'string') throw new Error('init request: koffiPath must be a string');
  const pairs = req.alternatives;
  if (!Array.isArray(pairs) || !pairs.every((p) => Array.isArray(p) && p.length === 2 && p.every((x) => typeof x === 'string'))) {
    throw new Error('init request: alternatives must be a list of [name, target]');
  }
  return { spec: decodeSpec(req.spec), koffiPath: req.koffiPath, alternatives: pairs };
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

/** Parent side: the outcome of a complete status stream (everything read up to EOF). */
export function parseStatus(text: string): { exec: boolean; failure?: SetupFailure } {
  let exec = false;
  let failure: SetupFailure | undefined;
  for (const line of text.split('\n')) {
    if (!line) continue;
    let msg: StatusMessage;
    try {
      msg = JSON.parse(line) as StatusMessage;
    } catch {
      return { exec, failure: { op: 'init', args: '', errno: '', message: `garbled status from the init stage: ${line.slice(0, 200)}`, exitCode: 125 } };
    }
    if (msg.kind === 'exec') exec = true;
    else if (msg.kind === 'failure') failure = msg.failure;
  }
  return failure ? { exec, failure } : { exec };
}
