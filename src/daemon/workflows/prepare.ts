/**
 * The server's half of validation: the plan (shared/workflow/plan.ts) again on what arrived, then
 * what only the server knows — do the volumes, networks and runtimes exist (naming what does), are
 * the limits within this server's ceilings (the job manager's own checks, with the YAML key named
 * instead of the flag), did every upload arrive. Every problem is collected; nothing is created
 * unless there are none.
 */
import { RunJobRequest, type FileUpload } from '../../gen/joblet';
import { describeError } from '../../shared/errors';
import { printable } from '../../shared/ids';
import { buildPlan, secretPaths, type Plan, type PlanJob } from '../../shared/workflow/plan';
import { Problems, WorkflowInvalidError, type Problem } from '../../shared/workflow/problems';
import { parseYamlDoc } from '../../shared/workflow/yaml';
import { byLine } from '../../shared/workflow/schema';
import { checkUploadPath } from '../jobs/uploads';
import type { JobRequest } from '../jobs/validate';

/** The runtimes installed on this server (daemon/runtimes/, once it exists). */
export interface RuntimeCatalogue {
  /** The installed runtime a name or alias stands for; throws a message that lists what is installed. */
  resolve(name: string): string;
  /** Names of the installed runtimes. */
  installed(): string[];
}

/** What RunWorkflow (or a schedule, or ValidateWorkflow) hands in. */
export interface WorkflowInput {
  /** The file's name, for messages and display. */
  file: string;
  yaml: string;
  files: FileUpload[];
  /** A workflow of the file's `workflows:` ('' = the top-level jobs, or the only named one). */
  workflowName: string;
  /** Overrides of the file's environment. */
  env: Record<string, string>;
}

/** What preparing needs from the rest of the daemon. */
export interface PrepareDeps {
  /** The job manager's check of a request (limits, network default, volumes). */
  check(req: RunJobRequest): JobRequest;
  volumes(): string[];
  networks(): string[];
  runtimes?: RuntimeCatalogue;
  /** Most jobs in one workflow. */
  maxJobs: number;
  /** Most bytes of uploads one job may have (limits.maxDiskBytes). */
  maxUploadBytes: number;
  /** Largest YAML accepted. */
  maxYamlBytes: number;
}

/** One job ready to be created: its checked request and the uploads it gets. */
export interface PreparedInput {
  plan: PlanJob;
  request: JobRequest;
  files: FileUpload[];
  uploadBytes: number;
}

/** A workflow that passed every check. */
export interface Prepared {
  plan: Plan;
  /** The file with secret values masked (what is stored and shown). */
  yaml: string;
  jobs: PreparedInput[];
}

const FLAG_KEYS: [RegExp, string[]][] = [
  [/^--max-cpu: /, ['resources', 'max_cpu']],
  [/^--cpu-cores: /, ['resources', 'cpu_cores']],
  [/^--max-memory: /, ['resources', 'max_memory']],
  [/^--max-iobps: /, ['resources', 'max_io_bps']],
  [/^--max-pids: /, ['resources', 'max_pids']],
  [/^--max-disk: /, ['resources', 'max_disk']],
  [/^--timeout: /, ['timeout']],
];

/** Check a workflow completely; throws WorkflowInvalidError listing every problem. */
export function prepare(input: WorkflowInput, deps: PrepareDeps): Prepared {
  const r = check(input, deps);
  if (!r.prepared) throw new WorkflowInvalidError(r.problems);
  return r.prepared;
}

/** Check a workflow completely; every problem found, and the prepared workflow when there are none. */
export function check(input: WorkflowInput, deps: PrepareDeps): { prepared?: Prepared; problems: Problem[] } {
  const file = input.file || 'workflow.yaml';
  if (Buffer.byteLength(input.yaml) > deps.maxYamlBytes) {
    return { problems: [{ file, path: '', message: `the file is larger than ${deps.maxYamlBytes} bytes; keep data out of it (uploads, volumes)` }] };
  }
  const doc = parseYamlDoc(input.yaml, file);
  if ('message' in doc) return { problems: [doc] };
  const { plan, problems } = buildPlan(doc, { workflowName: input.workflowName, env: input.env });
  if (!plan) return { problems };
  const p = new Problems(file, doc.lineOf);
  p.addAll(problems);
  if (plan.jobs.length > deps.maxJobs) p.add(plan.workflowName ? ['workflows', plan.workflowName, 'jobs'] : ['jobs'], `has ${plan.jobs.length} jobs; this server runs at most ${deps.maxJobs} in one workflow (workflows.maxJobs)`);
  const files = indexFiles(input.files, p);
  const volumes = deps.volumes();
  const networks = deps.networks();
  const jobs: PreparedInput[] = [];
  for (const j of plan.jobs) {
    const before = p.list.length;
    const runtime = checkRuntime(j, deps.runtimes, p);
    if (j.network && !networks.includes(j.network)) p.add([...j.at, 'network'], `network '${j.network}' does not exist (networks: ${networks.join(', ')})`);
    j.volumes.forEach((v, i) => {
      if (!volumes.includes(v)) p.add([...j.at, 'volumes', i], `volume '${v}' does not exist (${volumes.length ? `volumes: ${volumes.join(', ')}` : 'there are none'}); create it with 'rnx volume create ${v} --size=1GB'`);
    });
    for (const [k, v] of Object.entries(j.secretEnv)) {
      if (k === 'JOB_ID') p.add([...j.at, 'secret_environment', k], 'JOB_ID is set by joblet and cannot be overridden');
      if (v.includes('\0') || v.length > 128 * 1024) p.add([...j.at, 'secret_environment', k], 'must be at most 128 KiB of text without NUL bytes');
    }
    const uploads = jobFiles(j, files, p);
    const uploadBytes = uploads.reduce((n, f) => n + f.content.length, 0);
    if (uploadBytes > deps.maxUploadBytes) p.add([...j.at, 'uploads'], `the uploads of this job total ${uploadBytes} bytes; this server accepts at most ${deps.maxUploadBytes} per job (limits.maxDiskBytes)`);
    if (p.list.length > before) continue;
    try {
      jobs.push({ plan: j, request: deps.check(toRequest(j, runtime)), files: uploads, uploadBytes });
    } catch (err) {
      const msg = describeError(err);
      const hit = FLAG_KEYS.find(([re]) => re.test(msg));
      if (hit) p.add([...j.at, ...hit[1]], msg.replace(hit[0], ''));
      else if (/^work_dir /.test(msg)) p.add([...j.at, 'workdir'], msg.replace(/^work_dir /, 'the directory '));
      else if (/runtime/.test(msg)) p.add([...j.at, 'runtime'], msg);
      else if (/^environment/.test(msg)) p.add([...j.at, 'environment'], msg);
      else p.add(j.at, msg);
    }
  }
  if (!p.empty) return { problems: byLine(p.list) };
  return { prepared: { plan, yaml: doc.masked(secretPaths(doc.data)), jobs }, problems: [] };
}

/** The runtime to ask for: the catalogue's name for it, or as written when the server has no catalogue (the job check then refuses it). */
function checkRuntime(j: PlanJob, runtimes: RuntimeCatalogue | undefined, p: Problems): string {
  if (!j.runtime || !runtimes) return j.runtime;
  try {
    return runtimes.resolve(j.runtime);
  } catch (err) {
    const installed = runtimes.installed();
    const msg = describeError(err);
    p.add([...j.at, 'runtime'], /installed/.test(msg) ? msg : `${msg} (installed: ${installed.length ? installed.join(', ') : 'none'})`);
    return j.runtime;
  }
}

/** A workflow job as the RunJob request the job manager checks. */
export function toRequest(j: PlanJob, runtime: string): RunJobRequest {
  return RunJobRequest.fromPartial({
    command: j.command,
    args: j.args,
    maxCpu: j.resources.maxCpu,
    cpuCores: j.resources.cpuCores,
    maxMemory: j.resources.maxMemory,
    maxIoBps: j.resources.maxIoBps,
    network: j.network,
    volumes: j.volumes,
    runtime,
    workDir: j.workdir,
    environment: j.env,
    timeout: j.timeout,
    maxPids: j.resources.maxPids,
    maxDiskBytes: String(j.resources.maxDiskBytes),
  });
}

/** workflowFiles by normalized path; hostile paths are problems. */
function indexFiles(list: FileUpload[], p: Problems): Map<string, FileUpload> {
  const out = new Map<string, FileUpload>();
  for (const f of list) {
    const norm = f.path.replace(/^\.\//, '').replace(/\/+$/, '');
    try {
      checkUploadPath(norm);
    } catch (err) {
      p.add([], `workflowFiles: ${describeError(err)}`);
      continue;
    }
    if (out.has(norm)) p.add([], `workflowFiles: '${printable(norm)}' is sent twice`);
    out.set(norm, { ...f, path: norm });
  }
  return out;
}

/** The uploads of one job, taken from what was sent; a listed file or directory that did not arrive is a problem. */
function jobFiles(j: PlanJob, files: Map<string, FileUpload>, p: Problems): FileUpload[] {
  const out = new Map<string, FileUpload>();
  j.uploads.files.forEach((f, i) => {
    const got = files.get(f);
    if (!got || got.isDirectory) p.add([...j.at, 'uploads', 'files', i], `'${f}' was not sent with the workflow${got ? ' as a file (it is a directory: list it under directories)' : ''}; rnx sends it from the workflow file's directory (with the SDK: add it to workflowFiles)`);
    else out.set(f, got);
  });
  j.uploads.directories.forEach((d, i) => {
    const under = [...files.values()].filter((f) => f.path === d || f.path.startsWith(`${d}/`));
    if (under.length === 0 || (files.has(d) && !files.get(d)!.isDirectory)) p.add([...j.at, 'uploads', 'directories', i], `directory '${d}' was not sent with the workflow`);
    for (const f of under) out.set(f.path, f);
  });
  return [...out.values()].sort((a, b) => a.path.localeCompare(b.path));
}
