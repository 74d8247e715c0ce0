/**
 * The workflow file format, as zod schemas: every mapping is strict (a misspelt key is a problem
 * that lists the allowed keys), and every problem keeps its key path so that it can be located
 * in the file. Semantic checks (templates, requirements, cycles) follow in plan.ts.
 *
 *     name, description, version, environment, secret_environment, defaults, on_failure,
 *     jobs: { NAME: JOB }, workflows: { NAME: { name, description, environment, … , jobs } }
 *     JOB: command, args, description, runtime, network, uploads {files, directories}, volumes,
 *          resources {max_cpu, max_memory, max_io_bps, cpu_cores, max_pids, max_disk},
 *          environment, secret_environment, workdir, requires, retries {count, backoff,
 *          exponential}, timeout, allow_failure
 */
import { z } from 'zod';
import type { Problem } from './problems';
import { joinPath } from './problems';

/** A value that becomes text: YAML users write `PORT: 8080` and `DEBUG: true` and mean the text. */
const text = z.union([z.string(), z.number(), z.boolean()], { errorMap: () => ({ message: 'must be a text, a number or true/false' }) }).transform(String);

/** environment / secret_environment: NAME: value. */
const envMap = z.record(z.string(), text, { errorMap: (i, c) => ({ message: i.code === 'invalid_type' ? 'must be a mapping of NAME: value' : c.defaultError }) });

/** 0 (the server's default) or a whole number in [min, max]. */
function limit(min: number, max: number, unit: string) {
  const msg = `must be 0 (the server's default) or a whole number ${min}-${max} ${unit}`;
  return z.number({ invalid_type_error: msg }).int(msg).refine((v) => v === 0 || (v >= min && v <= max), msg);
}

const resources = z
  .object({
    max_cpu: limit(1, 409600, '(percent of one core)'),
    max_memory: limit(4, 4194304, '(MB)'),
    max_io_bps: limit(1024, 2147483647, '(bytes per second)'),
    max_iobps: limit(1024, 2147483647, '(bytes per second)'),
    cpu_cores: z.union([z.string(), z.number()], { errorMap: () => ({ message: 'must be cores such as "0-3", "1,3,5" or 2' }) }).transform(String),
    max_pids: limit(1, 4194304, '(processes and threads)'),
    max_disk: z.union([z.string(), z.number()], { errorMap: () => ({ message: 'must be a size such as 10MB or 1GB' }) }).transform(String),
    gpu_count: z.number().int().refine((v) => v === 0, 'GPUs are not available on this server (gpu_count must be 0 or left out)'),
    gpu_memory_mb: z.number().int().refine((v) => v === 0, 'GPUs are not available on this server (gpu_memory_mb must be 0 or left out)'),
  })
  .partial()
  .strict();

const retries = z.union(
  [
    z.number().int().min(0).max(100),
    z
      .object({
        count: z.number({ invalid_type_error: 'must be a whole number 0-100' }).int('must be a whole number 0-100').min(0, 'must be a whole number 0-100').max(100, 'must be a whole number 0-100'),
        backoff: z.string({ invalid_type_error: 'must be a duration such as 10s, 2m or 0s' }).optional(),
        exponential: z.boolean().optional(),
      })
      .strict(),
  ],
  { errorMap: (i, c) => ({ message: i.code === 'invalid_union' ? 'must be a number of retries (0-100) or {count, backoff, exponential}' : c.defaultError }) },
);

const stringList = z.array(z.string({ invalid_type_error: 'must be a text' }));

/** Fields a job may take from `defaults:`. */
const inheritable = {
  runtime: z.string(),
  network: z.string(),
  volumes: stringList,
  resources,
  environment: envMap,
  secret_environment: envMap,
  workdir: z.string(),
  retries,
  timeout: z.string({ invalid_type_error: 'must be a duration such as 90s, 5m or 2h30m' }),
  allow_failure: z.boolean(),
};

/** One job of a workflow. */
export const jobSchema = z
  .object({
    ...inheritable,
    command: z.string({ required_error: 'is required: the program the job runs', invalid_type_error: 'must be a text: the program the job runs' }).min(1, 'must not be empty'),
    args: z.array(text),
    description: z.string(),
    uploads: z.object({ files: stringList, directories: stringList }).partial().strict(),
    requires: z.array(z.unknown(), { invalid_type_error: 'must be a list: - JOB: STATUS or - expression: "…"' }),
  })
  .partial()
  .required({ command: true })
  .strict();

const defaultsSchema = z.object(inheritable).partial().strict();

const onFailure = z.enum(['stop', 'continue'], { errorMap: () => ({ message: 'must be stop (stop the workflow when a job fails) or continue (run what does not depend on it)' }) });

const jobsMap = z.record(z.string(), jobSchema, { errorMap: (i, c) => ({ message: i.code === 'invalid_type' ? 'must be a mapping of job names to jobs' : c.defaultError }) });

/** The parts a workflow (top level or named) may have. */
const body = {
  name: z.string(),
  description: z.string(),
  environment: envMap,
  secret_environment: envMap,
  defaults: defaultsSchema,
  on_failure: onFailure,
  jobs: jobsMap,
};

const namedWorkflow = z.object(body).partial().strict();

/** A whole workflow file. */
export const fileSchema = z
  .object({
    ...body,
    version: z.union([z.string(), z.number()]).transform(String),
    workflows: z.record(z.string(), namedWorkflow),
  })
  .partial()
  .strict();

/** One job as the file has it (after the schema). */
export type RawJob = z.output<typeof jobSchema>;
/** A named workflow as the file has it. */
export type RawWorkflow = z.output<typeof namedWorkflow>;
/** A whole file as the schema passes it. */
export type RawFile = z.output<typeof fileSchema>;
/** `defaults:`. */
export type RawDefaults = z.output<typeof defaultsSchema>;

/** Check a parsed document against the format; problems carry their key path and line. */
export function checkFile(data: unknown, file: string, lineOf: (p: (string | number)[]) => number | undefined): { file?: RawFile; problems: Problem[] } {
  const r = fileSchema.safeParse(data);
  if (r.success) return { file: r.data, problems: [] };
  const problems: Problem[] = [];
  for (const issue of r.error.issues) {
    if (issue.code === 'unrecognized_keys') {
      const allowed = keysAt(issue.path);
      for (const key of issue.keys) {
        const at = [...issue.path, key];
        problems.push({ file, line: lineOf(at), path: joinPath(at), message: `unknown key${allowed ? ` (allowed: ${allowed.join(', ')})` : ''}` });
      }
      continue;
    }
    const value = valueAt(data, issue.path);
    const message = issue.code === 'invalid_type' && issue.received === 'undefined' ? issue.message.startsWith('is required') ? issue.message : 'is required' : issue.message;
    const got = value !== undefined ? ` (got ${describe(value)})` : '';
    problems.push({ file, line: lineOf(issue.path), path: joinPath(issue.path), message: `${message}${got}` });
  }
  return { problems: byLine(problems) };
}

/** Problems in file order (those without a line first). */
export function byLine(ps: Problem[]): Problem[] {
  return [...ps].sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
}

/** The keys allowed at a path of the file (for "unknown key" messages). */
function keysAt(path: (string | number)[]): string[] | undefined {
  const jobKeys = Object.keys(jobSchema.shape);
  const p = path.map(String);
  const inJob = (rest: string[]) => {
    if (rest.length === 0) return jobKeys;
    if (rest.length === 1 && rest[0] === 'resources') return Object.keys(resources.shape);
    if (rest.length === 1 && rest[0] === 'uploads') return ['files', 'directories'];
    if (rest.length === 1 && rest[0] === 'retries') return ['count', 'backoff', 'exponential'];
    return undefined;
  };
  const inBody = (rest: string[]): string[] | undefined => {
    if (rest[0] === 'jobs' && rest.length >= 2) return inJob(rest.slice(2));
    if (rest[0] === 'defaults') return rest.length === 1 ? Object.keys(defaultsSchema.shape) : inJob(rest.slice(1));
    return undefined;
  };
  if (p.length === 0) return Object.keys(fileSchema.shape);
  if (p[0] === 'workflows' && p.length === 2) return Object.keys(namedWorkflow.shape);
  if (p[0] === 'workflows' && p.length > 2) return inBody(p.slice(2));
  return inBody(p);
}

function valueAt(doc: unknown, path: (string | number)[]): unknown {
  let cur = doc;
  for (const k of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[k];
  }
  return cur;
}

/** Short, safe rendering of a value for "(got …)". */
export function describe(v: unknown): string {
  if (v === null) return 'an empty value';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 37)}...` : v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return typeof v;
}
