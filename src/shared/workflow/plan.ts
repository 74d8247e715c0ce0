/**
 * From a workflow file to a plan: the chosen workflow (the top-level jobs or a named one), every
 * job with `defaults:` and the environment merged in and its `${VAR}` templates filled, its
 * requirements parsed, and the graph checked (unknown jobs, cycles). Pure and shared: rnx runs it
 * before sending anything (`rnx workflow validate` too), the daemon runs it again on what it gets,
 * then checks what only it knows (volumes, networks, runtimes, limits; daemon/workflows/validate.ts).
 */
import * as path from 'node:path';
import { formatCores, parseCores, parseDuration, parseSize } from '../limits';
import { checkVolumeName } from '../volumes';
import { findCycles, runOrder, type Edges } from './dag';
import { isKeyword, parseEndStates, parseExpression, referencedJobs, type RequirementSpec } from './expression';
import { Problems, type Problem } from './problems';
import { byLine, checkFile, describe, type RawDefaults, type RawFile, type RawJob } from './schema';
import { fillTemplate } from './template';
import type { YamlDoc } from './yaml';

/** Limits of one job as the file gives them (0 / '' = the server's default). */
export interface PlanResources {
  maxCpu: number;
  cpuCores: string;
  maxMemory: number;
  maxIoBps: number;
  maxPids: number;
  maxDiskBytes: number;
}

/** How often a failed job is tried again, and how long to wait first. */
export interface RetryPolicy {
  count: number;
  backoffMs: number;
  exponential: boolean;
}

/** One job, resolved. */
export interface PlanJob {
  name: string;
  description: string;
  command: string;
  args: string[];
  runtime: string;
  network: string;
  volumes: string[];
  workdir: string;
  env: Record<string, string>;
  secretEnv: Record<string, string>;
  resources: PlanResources;
  /** Duration text ("5m"); '' = the server's default. */
  timeout: string;
  uploads: { files: string[]; directories: string[] };
  requires: RequirementSpec[];
  /** Names of the jobs it waits for. */
  dependencies: string[];
  retries: RetryPolicy;
  allowFailure: boolean;
  /** Where the job is in the file (for messages): ['jobs', name] or ['workflows', w, 'jobs', name]. */
  at: (string | number)[];
}

/** A workflow ready to be checked by the server and run. */
export interface Plan {
  file: string;
  /** Its `name:`, else the named workflow's key, else the file's base name. */
  name: string;
  /** The named workflow chosen from `workflows:` ('' for the top-level jobs). */
  workflowName: string;
  description: string;
  onFailure: 'stop' | 'continue';
  /** The workflow environment (templates' values); every job inherits it. */
  environment: Record<string, string>;
  /** Jobs in file order. */
  jobs: PlanJob[];
  /** Job names in an order that respects every requirement. */
  order: string[];
}

/** What to build: which named workflow, and values that override the file's environment. */
export interface PlanOptions {
  workflowName?: string;
  env?: Record<string, string>;
}

/** Names of jobs (in workflows, and RunJobRequest.name). */
export const JOB_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

/** The rule for job names, for messages. */
export const JOB_NAME_RULE = '1-63 letters, digits, _, . and -, starting with a letter or digit';
const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MAX_BACKOFF_MS = 24 * 3600_000;

/**
 * Build the plan of a parsed file; every problem found is returned. The plan comes back whenever
 * the workflow could be chosen — with the jobs that resolved — so that later checks can add their
 * problems too; it is valid only when there are no problems.
 */
export function buildPlan(doc: YamlDoc, opts: PlanOptions = {}): { plan?: Plan; problems: Problem[] } {
  const p = new Problems(doc.file, doc.lineOf);
  const checked = checkFile(doc.data, doc.file, doc.lineOf);
  if (!checked.file) return { problems: checked.problems };
  const file = checked.file;
  const chosen = choose(file, opts.workflowName ?? '', p);
  if (!chosen) return { problems: byLine(p.list) };
  const { body, at, workflowName } = chosen;
  const environment: Record<string, string> = { ...file.environment, ...(workflowName ? body.environment : {}) };
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    if (!ENV_KEY.test(k)) p.add([], `--env ${k}: '${k}' is not a variable name (letters, digits and _, not starting with a digit)`);
    else environment[k] = v;
  }
  for (const k of Object.keys(environment)) if (!ENV_KEY.test(k)) p.add([...envAt(at, workflowName, k)], "is not a variable name (letters, digits and _, not starting with a digit)");
  const defaults = mergeDefaults(file.defaults, workflowName ? body.defaults : undefined);
  const secretTop = { ...file.secret_environment, ...(workflowName ? body.secret_environment : {}) };
  const jobs: PlanJob[] = [];
  const entries = Object.entries(body.jobs ?? {});
  if (entries.length === 0) p.add(workflowName ? ['workflows', workflowName] : [], 'has no jobs: list them under jobs:');
  for (const [name, raw] of entries) {
    const job = resolveJob(name, raw, [...at, 'jobs', name], { environment, defaults, secretTop }, p);
    if (job) jobs.push(job);
  }
  const names = jobs.map((j) => j.name);
  for (const j of jobs) {
    for (const [i, dep] of j.dependencies.entries()) {
      if (!names.includes(dep) && entries.some(([n]) => n === dep) === false) {
        p.add([...j.at, 'requires', reqIndex(j, dep) ?? i], `job '${dep}' does not exist in this workflow (its jobs: ${names.join(', ')})`);
      }
    }
  }
  const edges: Edges = new Map(jobs.map((j) => [j.name, j.dependencies]));
  for (const cycle of findCycles(names, edges)) {
    const first = jobs.find((j) => j.name === cycle[0])!;
    p.add([...first.at, 'requires'], `dependency cycle: ${cycle.join(' → ')}; a job cannot wait for itself, directly or through others`);
  }
  const name = body.name ?? (workflowName || file.name || path.basename(doc.file).replace(/\.ya?ml$/i, ''));
  return {
    plan: {
      file: doc.file,
      name,
      workflowName,
      description: body.description ?? (workflowName ? '' : (file.description ?? '')),
      onFailure: body.on_failure ?? file.on_failure ?? 'continue',
      environment,
      jobs,
      order: runOrder(names, edges),
    },
    problems: byLine(p.list),
  };
}

/** The index of the requirement that names `dep` (for the problem's line). */
function reqIndex(j: PlanJob, dep: string): number | undefined {
  const i = j.requires.findIndex((r) => referencedJobs(r.req).includes(dep));
  return i < 0 ? undefined : i;
}

function envAt(at: (string | number)[], workflowName: string, key: string): (string | number)[] {
  return workflowName ? [...at, 'environment', key] : ['environment', key];
}

/** The workflow to run: the top-level jobs, or one of `workflows:`. */
function choose(file: RawFile, wanted: string, p: Problems): { body: RawFile; at: (string | number)[]; workflowName: string } | undefined {
  const named = Object.keys(file.workflows ?? {});
  if (wanted) {
    if (file.workflows && Object.hasOwn(file.workflows, wanted)) return { body: file.workflows[wanted]!, at: ['workflows', wanted], workflowName: wanted };
    if (file.jobs && Object.hasOwn(file.jobs, wanted)) {
      p.add(['jobs', wanted], `'${wanted}' is a job, not a workflow: run it alone with 'rnx run --workflow=FILE:${wanted}'`);
      return undefined;
    }
    p.add(['workflows'], `no workflow named '${wanted}' in this file (${named.length ? `workflows: ${named.join(', ')}` : 'it has no workflows: section'})`);
    return undefined;
  }
  if (file.jobs) return { body: file, at: [], workflowName: '' };
  if (named.length === 1) return { body: file.workflows![named[0]!]!, at: ['workflows', named[0]!], workflowName: named[0]! };
  if (named.length > 1) p.add(['workflows'], `this file has ${named.length} workflows (${named.join(', ')}): pick one with FILE:NAME`);
  else p.add([], 'no jobs: a workflow file needs jobs: (or workflows: with jobs)');
  return undefined;
}

function mergeDefaults(a: RawDefaults | undefined, b: RawDefaults | undefined): RawDefaults {
  return {
    ...a,
    ...b,
    resources: a?.resources || b?.resources ? { ...a?.resources, ...b?.resources } : undefined,
    environment: { ...a?.environment, ...b?.environment },
    secret_environment: { ...a?.secret_environment, ...b?.secret_environment },
  };
}

interface Inherited {
  environment: Record<string, string>;
  defaults: RawDefaults;
  secretTop: Record<string, string>;
}

/** One job with defaults, environment and templates applied; problems noted at their keys. */
function resolveJob(name: string, raw: RawJob, at: (string | number)[], inh: Inherited, p: Problems): PlanJob | undefined {
  const before = p.list.length;
  if (!JOB_NAME.test(name) || isKeyword(name)) {
    p.add(at, `'${name}' cannot be a job name: use ${JOB_NAME_RULE}${isKeyword(name) ? ' (AND, OR and IN are words of requirement expressions)' : ''}`);
  }
  const d = inh.defaults;
  const vars = inh.environment;
  const fill = (where: (string | number)[], s: string): string => {
    try {
      return fillTemplate(s, vars);
    } catch (err) {
      p.add(where, (err as Error).message);
      return s;
    }
  };
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...inh.environment, ...d.environment, ...raw.environment })) {
    const fromJob = raw.environment && Object.hasOwn(raw.environment, k);
    const where = fromJob ? [...at, 'environment', k] : d.environment && Object.hasOwn(d.environment, k) ? ['defaults', 'environment', k] : ['environment', k];
    if (!ENV_KEY.test(k)) p.add(where, 'is not a variable name (letters, digits and _, not starting with a digit)');
    env[k] = fromJob || (d.environment && Object.hasOwn(d.environment, k)) ? fill(where, v) : v;
  }
  const secretEnv: Record<string, string> = { ...inh.secretTop, ...d.secret_environment, ...raw.secret_environment };
  for (const k of Object.keys(raw.secret_environment ?? {})) if (!ENV_KEY.test(k)) p.add([...at, 'secret_environment', k], 'is not a variable name (letters, digits and _, not starting with a digit)');
  const volumes = (raw.volumes ?? d.volumes ?? []).map((v, i) => fill([...at, 'volumes', i], v));
  volumes.forEach((v, i) => {
    try {
      checkVolumeName(v);
    } catch (err) {
      p.add([...at, 'volumes', i], (err as Error).message);
    }
    if (volumes.indexOf(v) !== i) p.add([...at, 'volumes', i], `volume '${v}' is listed twice; mount each volume once`);
  });
  const requires = parseRequires(raw.requires ?? [], [...at, 'requires'], p);
  const dependencies: string[] = [];
  for (const r of requires) for (const j of referencedJobs(r.req)) if (!dependencies.includes(j)) dependencies.push(j);
  const job: PlanJob = {
    name,
    description: raw.description ?? '',
    command: fill([...at, 'command'], raw.command),
    args: (raw.args ?? []).map((a, i) => fill([...at, 'args', i], a)),
    runtime: fill([...at, 'runtime'], raw.runtime ?? d.runtime ?? ''),
    network: fill([...at, 'network'], raw.network ?? d.network ?? ''),
    volumes,
    workdir: fill([...at, 'workdir'], raw.workdir ?? d.workdir ?? ''),
    env,
    secretEnv,
    resources: resolveResources({ ...d.resources, ...raw.resources }, raw.resources ? [...at, 'resources'] : ['defaults', 'resources'], p),
    timeout: checkTimeout(raw.timeout ?? d.timeout, raw.timeout !== undefined ? [...at, 'timeout'] : ['defaults', 'timeout'], p),
    uploads: {
      files: checkUploads(raw.uploads?.files ?? [], [...at, 'uploads', 'files'], fill, p),
      directories: checkUploads(raw.uploads?.directories ?? [], [...at, 'uploads', 'directories'], fill, p),
    },
    requires,
    dependencies,
    retries: resolveRetries(raw.retries ?? d.retries, raw.retries !== undefined ? [...at, 'retries'] : ['defaults', 'retries'], p),
    allowFailure: raw.allow_failure ?? d.allow_failure ?? false,
    at,
  };
  if (raw.network !== undefined && job.network === '') p.add([...at, 'network'], "must not be empty: none, isolated, bridge or a network from 'rnx network list'");
  return p.list.length === before ? job : undefined;
}

/** `requires:` items: `- JOB: STATUS` (or a list of states) or `- expression: "…"`. */
function parseRequires(items: unknown[], at: (string | number)[], p: Problems): RequirementSpec[] {
  const out: RequirementSpec[] = [];
  items.forEach((item, i) => {
    const where = [...at, i];
    if (!item || typeof item !== 'object' || Array.isArray(item) || Object.keys(item).length !== 1) {
      p.add(where, `must be one JOB: STATUS (e.g. - extract: COMPLETED) or expression: "…" (got ${describe(item)})`);
      return;
    }
    const [key, value] = Object.entries(item as Record<string, unknown>)[0]!;
    try {
      if (key === 'expression') {
        if (typeof value !== 'string') throw new Error(`must be a text, e.g. "a=COMPLETED AND b IN (COMPLETED, FAILED)" (got ${describe(value)})`);
        out.push({ text: value.trim(), req: parseExpression(value) });
        return;
      }
      const states = Array.isArray(value) ? value : [value];
      if (states.length === 0 || !states.every((s) => typeof s === 'string')) throw new Error(`the state must be a text such as COMPLETED (got ${describe(value)})`);
      const parsed = [...new Set((states as string[]).flatMap(parseEndStates))];
      const text = `${key}: ${Array.isArray(value) ? `[${(value as string[]).join(', ')}]` : String(value).toUpperCase()}`;
      out.push({ text, req: { op: 'is', job: key, states: parsed } });
    } catch (err) {
      p.add(key === 'expression' ? [...where, 'expression'] : [...where, key], (err as Error).message);
    }
  });
  return out;
}

function resolveResources(r: NonNullable<RawJob['resources']>, at: (string | number)[], p: Problems): PlanResources {
  let cpuCores = '';
  if (r.cpu_cores !== undefined && r.cpu_cores !== '') {
    try {
      cpuCores = formatCores(parseCores('cpu_cores', r.cpu_cores));
    } catch (err) {
      p.add([...at, 'cpu_cores'], (err as Error).message.replace(/^cpu_cores: /, ''));
    }
  }
  let maxDiskBytes = 0;
  if (r.max_disk !== undefined && r.max_disk !== '0') {
    try {
      maxDiskBytes = parseSize('max_disk', r.max_disk, 65536, 2 ** 40);
    } catch (err) {
      p.add([...at, 'max_disk'], (err as Error).message.replace(/^max_disk: /, ''));
    }
  }
  if (r.max_io_bps !== undefined && r.max_iobps !== undefined) p.add([...at, 'max_iobps'], 'give max_io_bps or max_iobps, not both');
  return { maxCpu: r.max_cpu ?? 0, cpuCores, maxMemory: r.max_memory ?? 0, maxIoBps: r.max_io_bps ?? r.max_iobps ?? 0, maxPids: r.max_pids ?? 0, maxDiskBytes };
}

function checkTimeout(t: string | undefined, at: (string | number)[], p: Problems): string {
  if (t === undefined || t.trim() === '') return '';
  try {
    parseDuration('timeout', t);
    return t.trim();
  } catch (err) {
    p.add(at, (err as Error).message.replace(/^timeout: /, ''));
    return '';
  }
}

function resolveRetries(r: RawJob['retries'], at: (string | number)[], p: Problems): RetryPolicy {
  if (r === undefined) return { count: 0, backoffMs: 0, exponential: false };
  if (typeof r === 'number') return { count: r, backoffMs: 0, exponential: false };
  let backoffMs = 0;
  const b = r.backoff?.trim() ?? '';
  if (b !== '' && !/^0+(s|ms|m|h)?$/.test(b)) {
    try {
      backoffMs = parseDuration('backoff', b, MAX_BACKOFF_MS);
    } catch (err) {
      p.add([...at, 'backoff'], (err as Error).message.replace(/^backoff: /, '').replace('allowed: 1s', 'allowed: 0s or 1s'));
    }
  }
  return { count: r.count, backoffMs, exponential: r.exponential ?? false };
}

/** Upload paths: relative to the workflow file's directory and inside it, normalized. */
function checkUploads(list: string[], at: (string | number)[], fill: (w: (string | number)[], s: string) => string, p: Problems): string[] {
  const out: string[] = [];
  list.forEach((raw, i) => {
    const s = fill([...at, i], raw);
    const norm = path.posix.normalize(s.replace(/\\/g, '/')).replace(/^\.\//, '').replace(/\/$/, '');
    if (s === '' || s.includes('\0')) p.add([...at, i], 'must be a path relative to the workflow file');
    else if (path.posix.isAbsolute(norm) || norm === '..' || norm.startsWith('../') || norm === '.') {
      p.add([...at, i], `'${s}' must be a path inside the workflow file's directory (relative, without ..)`);
    } else if (!out.includes(norm)) out.push(norm);
  });
  return out;
}

/** Every path of a secret_environment value in the file (to mask them in the stored YAML). */
export function secretPaths(data: unknown): (string | number)[][] {
  const out: (string | number)[][] = [];
  const keysOf = (v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.keys(v) : []);
  const at = (base: (string | number)[], obj: unknown) => {
    const o = obj as Record<string, unknown> | undefined;
    for (const k of keysOf(o?.secret_environment)) out.push([...base, 'secret_environment', k]);
    for (const k of keysOf((o?.defaults as Record<string, unknown> | undefined)?.secret_environment)) out.push([...base, 'defaults', 'secret_environment', k]);
    const jobs = o?.jobs as Record<string, unknown> | undefined;
    for (const j of keysOf(jobs)) for (const k of keysOf((jobs![j] as Record<string, unknown> | undefined)?.secret_environment)) out.push([...base, 'jobs', j, 'secret_environment', k]);
  };
  at([], data);
  const wfs = (data as Record<string, unknown> | undefined)?.workflows as Record<string, unknown> | undefined;
  for (const w of keysOf(wfs)) at(['workflows', w], wfs![w]);
  return out;
}

/** What `FILE:NAME` names in a file: one of its named workflows, or one of its jobs. */
export function selectorKind(doc: YamlDoc, name: string): 'workflow' | 'job' | 'both' | undefined {
  const data = doc.data as { workflows?: Record<string, unknown>; jobs?: Record<string, unknown> };
  const isWorkflow = !!data.workflows && typeof data.workflows === 'object' && Object.hasOwn(data.workflows, name);
  const jobHomes = jobsNamed(data, name);
  if (isWorkflow && jobHomes.length) return 'both';
  if (isWorkflow) return 'workflow';
  return jobHomes.length ? 'job' : undefined;
}

/** Where jobs called `name` are: ['jobs'] for the top level, ['workflows', w] for named ones. */
function jobsNamed(data: { workflows?: Record<string, unknown>; jobs?: Record<string, unknown> }, name: string): string[] {
  const homes: string[] = [];
  if (data.jobs && typeof data.jobs === 'object' && Object.hasOwn(data.jobs, name)) homes.push('');
  for (const [w, body] of Object.entries(data.workflows ?? {})) {
    const jobs = (body as { jobs?: Record<string, unknown> } | null)?.jobs;
    if (jobs && typeof jobs === 'object' && Object.hasOwn(jobs, name)) homes.push(w);
  }
  return homes;
}

/**
 * One job of a file on its own (`rnx run --workflow=FILE:JOB`): defaults, environment and
 * templates applied as in its workflow; its requirements do not apply to a job run alone.
 */
export function planJobAlone(doc: YamlDoc, name: string, opts: { env?: Record<string, string> } = {}): { job?: PlanJob; problems: Problem[] } {
  const checked = checkFile(doc.data, doc.file, doc.lineOf);
  if (!checked.file) return { problems: checked.problems };
  const p = new Problems(doc.file, doc.lineOf);
  const homes = jobsNamed(checked.file as never, name);
  if (homes.length !== 1) {
    p.add([], homes.length ? `job '${name}' is in several workflows of this file (${homes.map((h) => h || 'the top level').join(', ')}); rename one` : `no job named '${name}' in this file`);
    return { problems: p.list };
  }
  const w = homes[0]!;
  const f = checked.file;
  const body = w ? f.workflows![w]! : f;
  const environment: Record<string, string> = { ...f.environment, ...(w ? body.environment : {}), ...opts.env };
  const inh: Inherited = { environment, defaults: mergeDefaults(f.defaults, w ? body.defaults : undefined), secretTop: { ...f.secret_environment, ...(w ? body.secret_environment : {}) } };
  const at = w ? ['workflows', w, 'jobs', name] : ['jobs', name];
  const job = resolveJob(name, body.jobs![name]!, at, inh, p);
  return job ? { job, problems: [] } : { problems: p.list };
}

/** Split `FILE:NAME` into the file and the name ('' when none); a path with a colon that exists as a file stays whole. */
export function splitSelector(arg: string, exists: (file: string) => boolean): { file: string; name: string } {
  const i = arg.lastIndexOf(':');
  if (i <= 0 || exists(arg)) return { file: arg, name: '' };
  const name = arg.slice(i + 1);
  if (name.includes('/')) return { file: arg, name: '' };
  return { file: arg.slice(0, i), name };
}
