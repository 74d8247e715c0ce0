/**
 * Parsing `rnx run [flags] <command> [args...]`. rnx's own flags end at the first word that is not
 * a flag, or at `--`; everything after is the job's command line, verbatim. Flags of features this
 * release does not have are refused by name, never ignored.
 */
import { InvalidArgumentError } from '../shared/errors';
import { checkVolumeName } from '../shared/volumes';
import { formatCores, parseCores, parseDuration, parsePositiveInt, parseSize } from '../shared/limits';
import { applyScheduleFlag, SCHEDULE_FLAGS, type RunTiming } from './run-schedule';

/** What `rnx run` was asked to do. */
export interface RunArgs {
  env: Record<string, string>;
  workdir?: string;
  uploads: string[];
  uploadDirs: string[];
  /** Volumes to mount at /volumes/NAME (--volume, repeatable). */
  volumes: string[];
  /** --network: none, isolated, bridge or a custom network; '' = the server's default. */
  network: string;
  wait: boolean;
  json: boolean;
  config?: string;
  node?: string;
  limits: RunLimits;
  /** --schedule / --cron and friends. */
  timing: RunTiming;
  command: string;
  args: string[];
}

/** Limits asked for on the command line (0 / '' = the server's default). */
export interface RunLimits {
  maxCpu: number;
  cpuCores: string;
  maxMemory: number;
  maxIoBps: number;
  maxPids: number;
  maxDiskBytes: number;
  timeout: string;
}

/** Flags that later releases bring, with what they will do. */
const LATER_FLAGS: Record<string, string> = {
  '--runtime': 'runtimes',
  '--secret-env': 'secret environment variables',
  '--gpu': 'GPUs',
  '--gpu-memory': 'GPUs',
  '--workflow': 'workflows',
};

const VALUE_FLAGS = new Set([...SCHEDULE_FLAGS, '--env', '-e', '--workdir', '--upload', '--upload-dir', '--volume', '--network', '--config', '--node', '--max-cpu', '--cpu-cores', '--max-memory', '--max-iobps', '--max-pids', '--max-disk', '--timeout']);
const BOOL_FLAGS = new Set(['--wait', '-w', '--json']);

/** Parse the words after `rnx run`. */
export function parseRunArgs(argv: string[]): RunArgs {
  const r: RunArgs = {
    env: {},
    uploads: [],
    uploadDirs: [],
    volumes: [],
    network: '',
    wait: false,
    json: false,
    limits: { maxCpu: 0, cpuCores: '', maxMemory: 0, maxIoBps: 0, maxPids: 0, maxDiskBytes: 0, timeout: '' },
    timing: { schedule: '', cron: '', cronTz: '', concurrency: '', name: '' },
    command: '',
    args: [],
  };
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      i++;
      break;
    }
    if (!a.startsWith('-') || a === '-') break;
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(0, eq) : a;
    if (LATER_FLAGS[name]) throw new InvalidArgumentError(`${name} (${LATER_FLAGS[name]}) is not available in this release of joblet`);
    if (BOOL_FLAGS.has(name)) {
      if (eq > 0) throw new InvalidArgumentError(`${name} takes no value`);
      if (name === '--json') r.json = true;
      else r.wait = true;
      continue;
    }
    if (!VALUE_FLAGS.has(name)) throw new InvalidArgumentError(`unknown flag ${name} for 'rnx run' (see 'rnx run --help'); put '--' before the command if it is the job's own flag`);
    const value = eq > 0 ? a.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new InvalidArgumentError(`${name} needs a value`);
    apply(r, name, value);
  }
  const rest = argv.slice(i);
  if (rest.length === 0) throw new InvalidArgumentError('no command given: rnx run [flags] <command> [args...], e.g. rnx run echo hello');
  if (r.timing.schedule && r.timing.cron) throw new InvalidArgumentError('give either --schedule (one run) or --cron (recurring), not both');
  if (!r.timing.cron && (r.timing.cronTz || r.timing.concurrency || r.timing.name)) {
    throw new InvalidArgumentError('--cron-tz, --concurrency and --name belong to a recurring schedule: add --cron');
  }
  if (r.timing.cron && r.wait) throw new InvalidArgumentError("--wait cannot follow a recurring schedule; follow its jobs with 'rnx log ID' (see 'rnx schedule list')");
  r.command = rest[0]!;
  r.args = rest.slice(1);
  return r;
}

function apply(r: RunArgs, name: string, value: string): void {
  if (applyScheduleFlag(r.timing, name, value)) return;
  switch (name) {
    case '--env':
    case '-e': {
      const eq = value.indexOf('=');
      if (eq <= 0) throw new InvalidArgumentError(`--env ${value}: use KEY=VALUE`);
      r.env[value.slice(0, eq)] = value.slice(eq + 1);
      break;
    }
    case '--workdir':
      r.workdir = value;
      break;
    case '--upload':
      r.uploads.push(value);
      break;
    case '--upload-dir':
      r.uploadDirs.push(value);
      break;
    case '--volume':
      checkVolumeName(value);
      if (r.volumes.includes(value)) throw new InvalidArgumentError(`--volume=${value} is given twice; mount each volume once`);
      r.volumes.push(value);
      break;
    case '--network':
      if (!value) throw new InvalidArgumentError('--network needs a name: none, isolated, bridge or a network from \'rnx network list\'');
      r.network = value;
      break;
    case '--config':
      r.config = value;
      break;
    case '--node':
      r.node = value;
      break;
    // Syntax is checked here, before any network traffic; ranges and ceilings by the server.
    case '--max-cpu':
      r.limits.maxCpu = parsePositiveInt(name, value, 1, 409600, 'percent of one core');
      break;
    case '--cpu-cores':
      r.limits.cpuCores = formatCores(parseCores(name, value));
      break;
    case '--max-memory':
      r.limits.maxMemory = parsePositiveInt(name, value, 4, 4194304, 'MB');
      break;
    case '--max-iobps':
      r.limits.maxIoBps = parsePositiveInt(name, value, 1024, 2147483647, 'bytes per second');
      break;
    case '--max-pids':
      r.limits.maxPids = parsePositiveInt(name, value, 1, 4194304, 'processes and threads');
      break;
    case '--max-disk':
      r.limits.maxDiskBytes = parseSize(name, value, 65536, 2 ** 40);
      break;
    case '--timeout':
      parseDuration(name, value);
      r.limits.timeout = value.trim();
      break;
  }
}
