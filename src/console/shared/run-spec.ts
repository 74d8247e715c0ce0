/**
 * What the "Run a job" form asks for, and the `rnx run` command line that does the same. The
 * form keeps every value as the text a user would type after the flag, so the backend parses it
 * with the very rules rnx uses (api/run.ts) and the command shown is exactly what rnx accepts.
 * Pure code: the page and the backend share it.
 */

/** Limits as typed; '' = the server's default. Units are those of the rnx flags. */
export interface RunLimitsText {
  /** --max-cpu: percent of one core. */
  maxCpu: string;
  /** --cpu-cores: 0-3, 1,3,5. */
  cpuCores: string;
  /** --max-memory: MB. */
  maxMemory: string;
  /** --max-iobps: bytes per second. */
  maxIobps: string;
  /** --max-pids: processes plus threads. */
  maxPids: string;
  /** --max-disk: a size such as 10MB. */
  maxDisk: string;
  /** --timeout: 90s, 5m, 2h30m. */
  timeout: string;
}

/** Where an upload came from, for the equivalent command line: --upload FILE or --upload-dir DIR. */
export interface UploadSource {
  kind: 'file' | 'dir';
  /** Base name of the dropped file or directory. */
  name: string;
}

/** One file or directory of an upload, as RunJobStreaming lists it. */
export interface UploadEntry {
  /** Path inside /work. */
  path: string;
  size: number;
  mode: number;
  isDirectory: boolean;
}

/** When to run, as typed after rnx run's scheduling flags; '' = not given. */
export interface RunTimingText {
  /** --schedule: one run later (30s, 1h30m, HH:MM, an RFC3339 time). */
  schedule: string;
  /** --cron: a recurring schedule instead of one job. */
  cron: string;
  /** --cron-tz, --concurrency, --name: only with cron. */
  cronTz: string;
  concurrency: string;
  name: string;
}

/** Everything the form asks for. */
export interface RunSpec {
  command: string;
  args: string[];
  /** Environment as [key, value] pairs, in the order given. */
  env: [string, string][];
  /** --workdir; '' = /work. */
  workdir: string;
  limits: RunLimitsText;
  /** --network; '' = the server's default. */
  network: string;
  volumes: string[];
  /** --runtime: a runtime from the node's list (name, alias or NAME@VERSION); '' = the host's /usr. */
  runtime: string;
  /** The dropped files and directories, in order. */
  uploadSources: UploadSource[];
  /** Later or recurring; absent = now. */
  timing?: RunTimingText;
}

/** Body header of a run with uploads (the file bytes follow it, in the order of `uploads`). */
export interface RunUploadHeader {
  spec: RunSpec;
  uploads: UploadEntry[];
}

/** Content type of a run with uploads: a 4-byte big-endian header length, the header as JSON, then the files. */
export const RUN_UPLOAD_TYPE = 'application/vnd.joblet.run-upload';

/** An empty form. */
export function emptyRunSpec(): RunSpec {
  return {
    command: '',
    args: [],
    env: [],
    workdir: '',
    limits: { maxCpu: '', cpuCores: '', maxMemory: '', maxIobps: '', maxPids: '', maxDisk: '', timeout: '' },
    network: '',
    volumes: [],
    runtime: '',
    uploadSources: [],
    timing: { schedule: '', cron: '', cronTz: '', concurrency: '', name: '' },
  };
}

/** Flag of each timing field, in the order rnx's help lists them. */
export const TIMING_FLAGS: [keyof RunTimingText, string][] = [
  ['schedule', '--schedule'],
  ['cron', '--cron'],
  ['cronTz', '--cron-tz'],
  ['concurrency', '--concurrency'],
  ['name', '--name'],
];

/** Flag of each limit, in the order rnx's help lists them. */
export const LIMIT_FLAGS: [keyof RunLimitsText, string][] = [
  ['maxCpu', '--max-cpu'],
  ['cpuCores', '--cpu-cores'],
  ['maxMemory', '--max-memory'],
  ['maxIobps', '--max-iobps'],
  ['maxPids', '--max-pids'],
  ['maxDisk', '--max-disk'],
  ['timeout', '--timeout'],
];

/** The argv after `rnx` that starts the same job: ['run', '--env=K=V', ..., command, ...args]. */
export function runArgv(spec: RunSpec, node?: string): string[] {
  const out = ['run'];
  if (node) out.push(`--node=${node}`);
  for (const [k, v] of spec.env) out.push(`--env=${k}=${v}`);
  if (spec.workdir.trim()) out.push(`--workdir=${spec.workdir.trim()}`);
  for (const u of spec.uploadSources) out.push(`${u.kind === 'dir' ? '--upload-dir' : '--upload'}=${u.name}`);
  for (const v of spec.volumes) out.push(`--volume=${v}`);
  if (spec.network.trim()) out.push(`--network=${spec.network.trim()}`);
  if (spec.runtime) out.push(`--runtime=${spec.runtime}`);
  for (const [key, flag] of LIMIT_FLAGS) {
    const v = spec.limits[key].trim();
    if (v) out.push(`${flag}=${v}`);
  }
  for (const [key, flag] of TIMING_FLAGS) {
    const v = spec.timing?.[key].trim();
    if (v) out.push(`${flag}=${v}`);
  }
  // rnx stops reading its own flags at the first word that is not one, or at `--`.
  if (spec.command.startsWith('-')) out.push('--');
  out.push(spec.command, ...spec.args);
  return out;
}

/** The shell command line: `rnx run --env=K=V … command args`, quoted for a POSIX shell. */
export function runCommandLine(spec: RunSpec, node?: string): string {
  return ['rnx', ...runArgv(spec, node)].map(shellQuote).join(' ');
}

/** A word quoted for a POSIX shell, left bare when that is safe. */
export function shellQuote(s: string): string {
  if (s !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
