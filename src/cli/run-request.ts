/**
 * From the values of `rnx run`'s flags (parsed by clipanion) to a RunJobRequest. Syntax is checked
 * here, before any network traffic; ranges against the server's ceilings are checked by the server.
 */
import { RunJobRequest } from '../gen/joblet';
import { InvalidArgumentError } from '../shared/errors';
import { formatCores, parseCores, parseDuration, parsePositiveInt, parseSize } from '../shared/limits';
import { checkVolumeName } from '../shared/volumes';

/** The flag values `rnx run` passes in (undefined / [] = not given). */
export interface RunFlags {
  env: string[];
  workdir?: string;
  volumes: string[];
  network?: string;
  /** A runtime: name, alias or NAME@VERSION. */
  runtime?: string;
  maxCpu?: string;
  cpuCores?: string;
  maxMemory?: string;
  maxIobps?: string;
  maxPids?: string;
  maxDisk?: string;
  timeout?: string;
}

/** The request for `argv` (the job's command and arguments) with these flags. */
export function buildRunRequest(f: RunFlags, argv: string[]): RunJobRequest {
  const [command, ...args] = argv;
  if (!command) throw new InvalidArgumentError('no command given: rnx run [FLAGS] COMMAND [ARG...], e.g. rnx run echo hello');
  // Fields left out stay empty; --schedule / --cron and friends are added by run-schedule.ts.
  return RunJobRequest.fromPartial({
    command,
    args,
    environment: parseEnv(f.env),
    workDir: f.workdir ?? '',
    maxCpu: f.maxCpu === undefined ? 0 : parsePositiveInt('--max-cpu', f.maxCpu, 1, 409600, 'percent of one core'),
    cpuCores: f.cpuCores === undefined ? '' : formatCores(parseCores('--cpu-cores', f.cpuCores)),
    maxMemory: f.maxMemory === undefined ? 0 : parsePositiveInt('--max-memory', f.maxMemory, 4, 4194304, 'MB'),
    maxIoBps: f.maxIobps === undefined ? 0 : parsePositiveInt('--max-iobps', f.maxIobps, 1024, 2147483647, 'bytes per second'),
    maxPids: f.maxPids === undefined ? 0 : parsePositiveInt('--max-pids', f.maxPids, 1, 4194304, 'processes and threads'),
    maxDiskBytes: String(f.maxDisk === undefined ? 0 : parseSize('--max-disk', f.maxDisk, 65536, 2 ** 40)),
    timeout: f.timeout === undefined ? '' : checkedTimeout(f.timeout),
    network: parseNetwork(f.network),
    volumes: parseVolumes(f.volumes),
    runtime: parseRuntime(f.runtime),
  });
}

function parseEnv(list: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const kv of list) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new InvalidArgumentError(`--env ${kv}: use KEY=VALUE`);
    env[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return env;
}

function checkedTimeout(text: string): string {
  parseDuration('--timeout', text);
  return text.trim();
}

function parseNetwork(value: string | undefined): string {
  if (value === undefined) return '';
  if (!value) throw new InvalidArgumentError("--network needs a name: none, isolated, bridge or a network from 'rnx network list'");
  return value;
}

/** --runtime's value as sent ('' when not given); a blank one is refused naming the flag. */
export function parseRuntime(value: string | undefined): string {
  if (value === undefined) return '';
  if (!value.trim()) throw new InvalidArgumentError("--runtime needs a name, e.g. --runtime=python:3.11-ml (see 'rnx runtime list')");
  return value.trim();
}

function parseVolumes(names: string[]): string[] {
  const seen = new Set<string>();
  for (const v of names) {
    checkVolumeName(v);
    if (seen.has(v)) throw new InvalidArgumentError(`--volume=${v} is given twice; mount each volume once`);
    seen.add(v);
  }
  return names;
}
