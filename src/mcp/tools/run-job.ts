/**
 * joblet_run_job: start a job, like `rnx run`. Without `wait` it answers with the new job; with
 * `wait` it follows the job to its end and answers with its exit code and the tail of its stdout
 * and stderr (bounded, with a note saying what was cut). Files given inline land in /work.
 */
import { z } from 'zod';
import { RunJobRequest, type RunJobStreamMessage } from '../../gen/joblet';
import { jobJson } from '../../cli/format';
import { InvalidArgumentError } from '../../shared/errors';
import { parseLimitTexts, type LimitTexts } from '../../shared/run-limits';
import { checkVolumeName } from '../../shared/volumes';
import { OutputTails } from '../output';
import { defineTool, jsonResult } from '../tool';
import { followLogs } from './follow';

/** Most bytes of inline upload content one call may carry. */
const MAX_UPLOAD_BYTES = 16 << 20;
const CHUNK = 256 * 1024;

/** The parameter name of each limit, for refusals. */
const PARAM: Record<keyof LimitTexts, string> = { maxCpu: 'max_cpu', cpuCores: 'cpu_cores', maxMemory: 'max_memory', maxIobps: 'max_iobps', maxPids: 'max_pids', maxDisk: 'max_disk', timeout: 'timeout' };

const upload = z.object({
  path: z.string().min(1).describe('Path inside /work, e.g. "main.py" or "src/util.py"'),
  content: z.string().default('').describe('File content'),
  encoding: z.enum(['utf8', 'base64']).default('utf8').describe('How content is written'),
  mode: z.number().int().min(0).max(0o7777).optional().describe('Permission bits, e.g. 493 (0755) for a script; default 0644 (0755 for directories)'),
  is_directory: z.boolean().default(false).describe('Make a directory instead of a file'),
});

/** The tool. */
export const runJobTool = defineTool({
  name: 'joblet_run_job',
  title: 'Run a job',
  description:
    'Run a command in an isolated sandbox on the joblet node (own PID, mount and network namespaces, unprivileged user, cgroup limits). ' +
    'Without wait, returns the new job (its id) at once; with wait: true, returns its exit code and the tail of its stdout and stderr when it ends. ' +
    'Files given in uploads land in /work, the working directory. Limits left out get the server defaults.',
  input: {
    command: z.string().min(1).describe('Program to run, e.g. "python3", "sh" or "make"'),
    args: z.array(z.string()).default([]).describe('Its arguments, e.g. ["-c", "print(42)"]'),
    env: z.record(z.string()).default({}).describe('Environment variables'),
    work_dir: z.string().optional().describe('Working directory inside the job (default /work)'),
    uploads: z.array(upload).default([]).describe('Files and directories to put in /work before the job starts'),
    network: z.string().optional().describe('none, isolated, bridge or a custom network (default: the server default)'),
    volumes: z.array(z.string()).default([]).describe('Volumes to mount read-write at /volumes/NAME'),
    runtime: z.string().optional().describe("An installed runtime in place of the node's /usr, e.g. python:3.11-ml, java:17, node:18 (see joblet_list_runtimes)"),
    max_cpu: z.number().int().optional().describe('CPU limit in percent of one core (100 = one core)'),
    cpu_cores: z.string().optional().describe('Cores to pin to, e.g. "0-1" or "0,2"'),
    max_memory: z.number().int().optional().describe('Memory limit in MB'),
    max_iobps: z.number().int().optional().describe('Disk I/O limit in bytes per second'),
    max_pids: z.number().int().optional().describe('Most processes plus threads'),
    max_disk: z.string().optional().describe('Quota of /work, e.g. "100MB"'),
    timeout: z.string().optional().describe('Stop the job after this long, e.g. "90s", "5m", "2h30m"'),
    wait: z.boolean().default(false).describe('Wait for the job to end and return its exit code and output'),
    wait_timeout_seconds: z.number().int().min(1).max(3600).default(300).describe('With wait: stop waiting (the job keeps running) after this long'),
    max_output_bytes: z.number().int().min(1).max(1048576).default(65536).describe('With wait: keep at most the last this many bytes of stdout and of stderr'),
  },
  write: true,
  async run(a, ctx) {
    const req = request(a);
    const files = a.uploads.map((u) => ({ ...u, data: u.is_directory ? Buffer.alloc(0) : Buffer.from(u.content, u.encoding === 'base64' ? 'base64' : 'utf8') }));
    const total = files.reduce((n, f) => n + f.data.length, 0);
    if (total > MAX_UPLOAD_BYTES) throw new InvalidArgumentError(`uploads carry ${total} bytes; at most ${MAX_UPLOAD_BYTES} fit in one call`);
    const res = await ctx.call((c) => (files.length === 0 ? c.jobs.runJob(req, { signal: ctx.signal }) : c.transfer.runJobStreaming(messages(req, files), { signal: ctx.signal })));
    if (!res.job) throw new InvalidArgumentError('the server did not return the job it created');
    if (!a.wait) return jsonResult(jobJson(res.job));
    const tails = new OutputTails(a.max_output_bytes);
    const { timedOut } = await followLogs(ctx, res.job.uuid, true, a.wait_timeout_seconds, (c) => tails.add(c));
    const j = jobJson(await ctx.call((c) => c.jobs.getJobStatus({ uuid: res.job!.uuid }, { signal: ctx.signal })));
    const note = [tails.note('use joblet_get_job_logs with a larger max_bytes for more'), timedOut ? `the job was still ${j.status} after ${a.wait_timeout_seconds}s; it keeps running: use joblet_get_job_status and joblet_get_job_logs` : '']
      .filter(Boolean)
      .join('; ');
    return jsonResult({
      id: j.id,
      status: j.status,
      exitCode: j.exitCode,
      signal: j.signal,
      failureReason: j.failureReason,
      durationMs: j.durationMs,
      stdout: tails.stdout.text(),
      stderr: tails.stderr.text(),
      ...(note ? { note } : {}),
    });
  },
});

function request(a: { command: string; args: string[]; env: Record<string, string>; work_dir?: string; network?: string; volumes: string[]; runtime?: string } & Record<string, unknown>): RunJobRequest {
  const text = (v: unknown) => (v === undefined ? '' : String(v));
  const limits = parseLimitTexts(
    { maxCpu: text(a.max_cpu), cpuCores: text(a.cpu_cores), maxMemory: text(a.max_memory), maxIobps: text(a.max_iobps), maxPids: text(a.max_pids), maxDisk: text(a.max_disk), timeout: text(a.timeout) },
    (k) => PARAM[k],
  );
  for (const v of a.volumes) checkVolumeName(v);
  // Fields left out stay empty: workflows are run from their YAML, not joined from here.
  return RunJobRequest.fromPartial({
    command: a.command,
    args: a.args,
    environment: a.env,
    workDir: a.work_dir ?? '',
    ...limits,
    network: a.network ?? '',
    volumes: a.volumes,
    runtime: a.runtime?.trim() ?? '',
  });
}

async function* messages(req: RunJobRequest, files: { path: string; data: Buffer; mode?: number; is_directory: boolean }[]): AsyncGenerator<RunJobStreamMessage> {
  const listed = files.map((f) => ({ path: f.path, content: Buffer.alloc(0), mode: f.mode ?? (f.is_directory ? 0o755 : 0o644), isDirectory: f.is_directory, size: String(f.data.length) }));
  yield { message: { $case: 'request', request: { ...req, uploads: listed } } };
  for (const [index, f] of files.entries()) {
    for (let at = 0; at < f.data.length; at += CHUNK) yield { message: { $case: 'chunk', chunk: { index, data: f.data.subarray(at, at + CHUNK) } } };
  }
}
