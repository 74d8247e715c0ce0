/**
 * Checks on a RunJob request before anything is created. Every refusal names the field and what
 * is allowed; fields that a later release builds are refused instead of silently ignored.
 */
import * as path from 'node:path';
import { InvalidArgumentError, UnimplementedError } from '../../shared/errors';
import { printable } from '../../shared/ids';
import { MAX_VOLUMES_PER_JOB, checkVolumeName } from '../../shared/volumes';
import type { RunJobRequest } from '../../gen/joblet';
import { checkScheduleName, parseConcurrency, parseCron, type Concurrency, type CronSpec } from '../../shared/cron';
import { parseSchedule } from '../../shared/schedule';
import { JOB_NAME, JOB_NAME_RULE } from '../../shared/workflow/plan';
import { isKeyword } from '../../shared/workflow/expression';
import { resolveLimits, type HostCapacity, type JobLimits, type LimitSettings } from './limits';

const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MAX_ARGS = 4096;
const MAX_ENV = 1024;
const RESERVED_ENV = new Set(['JOB_ID']);

/**
 * The one limit on a job's spec: command, arguments, environment and work dir together, measured
 * as the JSON the sandbox receives, may take at most 256 KiB. Checked before anything is stored,
 * so a job is never created that could not be handed to its sandbox (whose whole request,
 * with the server's own additions, must stay under 1 MiB).
 */
export const MAX_SPEC_BYTES = 256 * 1024;

/** A recurring schedule asked for with a job request. */
export interface RecurringRequest {
  cron: CronSpec;
  concurrency: Concurrency;
  /** '' = unnamed. */
  name: string;
}

/** What a validated request asks for. */
export interface JobRequest {
  command: string;
  args: string[];
  env: Record<string, string>;
  workdir: string;
  limits: JobLimits;
  /** Network asked for; '' until the network resource fills in the server's default. */
  network: string;
  /** Volumes to mount at /volumes/NAME (names checked; whether they exist is the volume resource's check). */
  volumes: string[];
  /** Runtime asked for ('' or absent = the host's /usr); the runtime resource resolves it to NAME@VERSION. */
  runtime?: string;
  /** One-shot schedule: when the job is due (Unix ms). */
  scheduledAt?: number;
  /** A recurring schedule instead of one job. */
  recurring?: RecurringRequest;
  /** The job's name (RunJobRequest.name); undefined when none. */
  name?: string;
}

/** What validation needs to know about this server. */
export interface ValidationContext {
  limits: LimitSettings;
  host: HostCapacity;
}

/** Validate a RunJob request; throws InvalidArgumentError / UnimplementedError. */
export function validateRunRequest(req: RunJobRequest, ctx: ValidationContext, now = new Date()): JobRequest {
  refuseLaterFeatures(req);
  const command = req.command;
  if (!command) throw new InvalidArgumentError('command is required: give the program to run, e.g. rnx run echo hello');
  checkText('command', command, 4096);
  if (req.args.length > MAX_ARGS) throw new InvalidArgumentError(`too many arguments (${req.args.length}); at most ${MAX_ARGS}`);
  req.args.forEach((a, i) => checkText(`args[${i}]`, a, MAX_SPEC_BYTES));
  const env: Record<string, string> = {};
  const entries = Object.entries(req.environment ?? {});
  if (entries.length > MAX_ENV) throw new InvalidArgumentError(`too many environment variables (${entries.length}); at most ${MAX_ENV}`);
  for (const [k, v] of entries) {
    if (!ENV_KEY.test(k)) throw new InvalidArgumentError(`environment variable name '${printable(k)}' is invalid: use letters, digits and _ and do not start with a digit`);
    if (RESERVED_ENV.has(k)) throw new InvalidArgumentError(`environment variable ${k} is set by joblet and cannot be overridden`);
    checkText(`environment ${k}`, v, 128 * 1024);
    env[k] = v;
  }
  const workdir = req.workDir || '/work';
  checkText('work_dir', workdir, 4096);
  const norm = path.posix.normalize(workdir);
  if (!path.posix.isAbsolute(workdir) || (norm !== workdir && `${norm}/` !== workdir)) {
    throw new InvalidArgumentError(`work_dir '${printable(workdir)}' must be an absolute, normalized path such as /work`);
  }
  checkText('network', req.network, 64);
  checkText('runtime', req.runtime, 130);
  const size = Buffer.byteLength(JSON.stringify({ command, args: req.args, env, workdir }));
  if (size > MAX_SPEC_BYTES) {
    throw new InvalidArgumentError(`the job's command, arguments and environment take ${size} bytes; at most ${MAX_SPEC_BYTES} (256 KiB) together: pass large data as an upload instead`);
  }
  const out: JobRequest = { command, args: [...req.args], env, workdir, limits: resolveLimits(req, ctx.limits, ctx.host), network: req.network, volumes: checkVolumes(req.volumes), runtime: req.runtime.trim() };
  if (req.name) out.name = checkJobName(req.name);
  return { ...out, ...checkTiming(req, now) };
}

/** schedule (one-shot) or cron (recurring), never both; the cron options only with cron. */
function checkTiming(req: RunJobRequest, now: Date): Pick<JobRequest, 'scheduledAt' | 'recurring'> {
  const cron = req.cron ?? '';
  if (req.schedule && cron) throw new InvalidArgumentError('give either schedule (one run at a time) or cron (recurring), not both');
  if (req.schedule) return { scheduledAt: parseSchedule('schedule', req.schedule, now).getTime() };
  if (!cron) {
    const extra = [req.cronTimezone && 'cron_timezone (--cron-tz)', req.concurrency && 'concurrency (--concurrency)', req.scheduleName && 'schedule_name (--name)'].filter(Boolean);
    if (extra.length) throw new InvalidArgumentError(`${extra.join(', ')} only apply to a recurring schedule: add cron (--cron)`);
    return {};
  }
  return {
    recurring: {
      cron: parseCron('cron', cron, req.cronTimezone ?? '', 'cron_timezone'),
      concurrency: parseConcurrency('concurrency', req.concurrency ?? ''),
      name: checkScheduleName('schedule_name', req.scheduleName ?? ''),
    },
  };
}

/** A job's name (RunJobRequest.name): also how requirements of a workflow refer to it. */
function checkJobName(name: string): string {
  if (!JOB_NAME.test(name) || isKeyword(name)) throw new InvalidArgumentError(`name '${printable(name)}' cannot be a job name: use ${JOB_NAME_RULE} (not AND, OR or IN)`);
  return name;
}

/** Volume names: valid, each once, not too many. */
function checkVolumes(names: string[]): string[] {
  if (names.length > MAX_VOLUMES_PER_JOB) throw new InvalidArgumentError(`too many volumes (${names.length}); a job may mount at most ${MAX_VOLUMES_PER_JOB}`);
  const seen = new Set<string>();
  for (const name of names) {
    checkVolumeName(name);
    if (seen.has(name)) throw new InvalidArgumentError(`volume '${name}' is given twice; mount each volume once`);
    seen.add(name);
  }
  return [...names];
}

function checkText(field: string, value: string, max: number): void {
  if (value.includes('\0')) throw new InvalidArgumentError(`${field} contains a NUL byte, which a process cannot receive`);
  if (value.length > max) throw new InvalidArgumentError(`${field} is too long (${value.length} characters; at most ${max})`);
}

/** Fields of the public API that this release does not implement yet: refuse, never ignore. */
function refuseLaterFeatures(req: RunJobRequest): void {
  const later: [boolean, string][] = [
    [Object.keys(req.secretEnvironment ?? {}).length > 0, 'secret_environment (--secret-env)'],
    [req.gpuCount !== 0 || req.gpuMemoryMb !== 0, 'gpu_count / gpu_memory_mb (--gpu)'],
  ];
  const asked = later.filter(([set]) => set).map(([, name]) => name);
  if (asked.length > 0) {
    throw new UnimplementedError(`this joblet server does not support ${asked.join(', ')} yet; remove ${asked.length > 1 ? 'them' : 'it'} and try again`);
  }
}
