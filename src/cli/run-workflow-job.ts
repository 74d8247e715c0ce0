/**
 * `rnx run --workflow=FILE:JOB`: one job of a workflow file run on its own, as a plain job. The
 * file gives its spec (defaults, environment and templates applied); the flags of `rnx run`
 * override it (--env per variable, limits, --network, --runtime, --workdir, --timeout), add to it (--volume,
 * --upload, --upload-dir), and a COMMAND replaces its command and arguments.
 */
import type { RunJobRequest } from '../gen/joblet';
import type { PlanJob } from '../shared/workflow/plan';
import { buildRunRequest, type RunFlags } from './run-request';
import type { LocalUpload } from './uploads';
import { jobUploads, localJob, type LocalWorkflow } from './workflow-file';

/** The request and uploads of one job of a file, with the command line's flags applied. */
export function singleJobRequest(w: LocalWorkflow, f: RunFlags, argv: string[]): { req: RunJobRequest; uploads: LocalUpload[]; job: PlanJob } {
  const { job } = localJob(w, {});
  const flags = buildRunRequest(f, argv.length ? argv : [job.command, ...job.args]);
  const r = job.resources;
  const req: RunJobRequest = {
    ...flags,
    name: job.name,
    environment: { ...job.env, ...flags.environment },
    secretEnvironment: job.secretEnv,
    workDir: f.workdir !== undefined ? flags.workDir : job.workdir,
    network: f.network !== undefined ? flags.network : job.network,
    volumes: [...new Set([...job.volumes, ...flags.volumes])],
    runtime: f.runtime !== undefined ? flags.runtime : job.runtime,
    maxCpu: f.maxCpu !== undefined ? flags.maxCpu : r.maxCpu,
    cpuCores: f.cpuCores !== undefined ? flags.cpuCores : r.cpuCores,
    maxMemory: f.maxMemory !== undefined ? flags.maxMemory : r.maxMemory,
    maxIoBps: f.maxIobps !== undefined ? flags.maxIoBps : r.maxIoBps,
    maxPids: f.maxPids !== undefined ? flags.maxPids : r.maxPids,
    maxDiskBytes: f.maxDisk !== undefined ? flags.maxDiskBytes : String(r.maxDiskBytes),
    timeout: f.timeout !== undefined ? flags.timeout : job.timeout,
  };
  return { req, uploads: jobUploads(w, job), job };
}
