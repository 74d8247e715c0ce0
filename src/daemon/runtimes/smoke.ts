/**
 * `rnx runtime test`: the runtime's smoke test (manifest.smokeTest: Python imports numpy and
 * pandas and prints their versions, Java compiles and runs a Hello class, Node runs a script) as
 * an ordinary job, visible in `rnx list`, owned by the caller, with its files uploaded to /work.
 */
import { RunJobRequest } from '../../gen/joblet';
import { describeError, FailedPreconditionError } from '../../shared/errors';
import type { JobManager } from '../jobs/manager';
import { LogStream } from '../../store/log-file';
import { runtimeKey, type Installed } from './installed';

/** What TestRuntime answers. */
export interface SmokeResult {
  success: boolean;
  output: string;
  error: string;
  exitCode: number;
  jobId: string;
}

/** Memory for smoke-test jobs (a JVM compiling a class wants more than a small default). */
const SMOKE_MEMORY_MB = 1024;

/** Runs `rt`'s smoke test as a job of `owner` and waits for it. */
export async function runSmokeTest(jobs: JobManager, rt: Installed, owner: string, signal: AbortSignal): Promise<SmokeResult> {
  const test = rt.manifest?.smokeTest;
  if (!test) throw new FailedPreconditionError(`runtime ${rt.name} ${rt.version} has no readable manifest, so no smoke test`);
  const req = RunJobRequest.fromPartial({ command: test.command, args: test.args, runtime: runtimeKey(rt.name, rt.version), maxMemory: SMOKE_MEMORY_MB, network: 'none' });
  let checked;
  try {
    checked = jobs.check(req);
  } catch {
    // A server whose memory ceiling is lower: its default then.
    checked = jobs.check({ ...req, maxMemory: 0 });
  }
  const bytes = test.files.reduce((n, f) => n + Buffer.byteLength(f.content), 0);
  const pending = jobs.prepare(checked, bytes, test.files.length);
  try {
    for (const f of test.files) {
      pending.workspace.begin({ path: f.path, mode: 0o644, isDirectory: false, size: -1 });
      pending.workspace.write(Buffer.from(f.content));
      pending.workspace.finish();
      pending.uploads.push(f.path);
    }
  } catch (err) {
    jobs.abandon(pending);
    throw err;
  }
  const job = jobs.launch(pending, checked, owner);
  let output = '';
  let error = '';
  try {
    for await (const frame of jobs.logs(job.id, false, signal)) {
      if (frame.stream === LogStream.Stdout) output += frame.payload.toString('utf8');
      else error += frame.payload.toString('utf8');
      if (output.length + error.length > 1024 * 1024) break;
    }
  } catch (err) {
    error += `\n[reading the test job's output failed: ${describeError(err)}]`;
  }
  const final = await waitEnded(jobs, job.id, signal);
  const exitCode = final.exitCode ?? -1;
  const success = final.status === 'COMPLETED' && exitCode === 0;
  if (!success && final.failureReason && !error.includes(final.failureReason)) error += `${error && !error.endsWith('\n') ? '\n' : ''}${final.failureReason}\n`;
  return { success, output, error, exitCode, jobId: job.id };
}

/** The job's record once it is no longer running (the log stream ends first, the record follows). */
async function waitEnded(jobs: JobManager, id: string, signal: AbortSignal) {
  for (;;) {
    const j = jobs.get(id);
    if (j.status !== 'INITIALIZING' && j.status !== 'RUNNING') return j;
    if (signal.aborted) return j;
    await new Promise((r) => setTimeout(r, 50));
  }
}
