/**
 * POST jobs: start a job from the "Run a job" form. Values are parsed with the same rules, and
 * refused with the same messages, as the `rnx run` flags the form shows. Without uploads the body
 * is the RunSpec as JSON (RunJob); with uploads it is RUN_UPLOAD_TYPE — a 4-byte header length,
 * the header, then each file's bytes — streamed on to the server through RunJobStreaming, so
 * neither the console nor the daemon ever holds a whole file.
 */
import type { IncomingMessage } from 'node:http';
import { RunJobRequest, type RunJobStreamMessage } from '../../gen/joblet';
import { jobJson } from '../../cli/format';
import { parseRuntime } from '../../cli/run-request';
import { checkTiming, timingFields } from '../../cli/run-schedule';
import { scheduleJson } from '../../cli/schedule-format';
import { InvalidArgumentError } from '../../shared/errors';
import { parseLimitTexts } from '../../shared/run-limits';
import { checkVolumeName } from '../../shared/volumes';
import { readJson } from '../http';
import { RUN_UPLOAD_TYPE, type RunSpec, type RunUploadHeader, type UploadEntry } from '../shared/run-spec';
import type { JobView, ScheduleCreated } from '../shared/types';
import { ByteReader } from './byte-reader';
import type { Route } from './route';

const MAX_HEADER_BYTES = 4 << 20;
const CHUNK = 256 * 1024;

/** POST jobs → the new job, or the new schedule when the form asked for cron. */
export const runRoute: Route = {
  method: 'POST',
  path: 'jobs',
  write: true,
  async handle({ req, pool, node, feeds }): Promise<JobView | ScheduleCreated> {
    const uploading = (req.headers['content-type'] ?? '').split(';')[0]!.trim() === RUN_UPLOAD_TYPE;
    const res = uploading
      ? await runWithUploads(req, (msgs) => pool.call(node, (c) => c.transfer.runJobStreaming(msgs)))
      : await pool.call(node, async (c) => c.jobs.runJob(toRequest(asSpec(await readJson(req)))));
    feeds.poke(node);
    if (res.schedule) return { schedule: scheduleJson(res.schedule) };
    if (!res.job) throw new InvalidArgumentError('the server did not return the job it created');
    return jobJson(res.job);
  },
};

type Start = (msgs: AsyncIterable<RunJobStreamMessage>) => Promise<{ job?: import('../../gen/joblet').Job; schedule?: import('../../gen/joblet').Schedule }>;

async function runWithUploads(req: IncomingMessage, start: Start) {
  const reader = new ByteReader(req as AsyncIterable<Buffer>);
  const len = (await reader.exactly(4, 'the upload header length')).readUInt32BE(0);
  if (len === 0 || len > MAX_HEADER_BYTES) throw new InvalidArgumentError(`the upload header is ${len} bytes; at most ${MAX_HEADER_BYTES}`);
  let header: RunUploadHeader;
  try {
    header = JSON.parse((await reader.exactly(len, 'the upload header')).toString('utf8')) as RunUploadHeader;
  } catch (err) {
    if (err instanceof InvalidArgumentError) throw err;
    throw new InvalidArgumentError('the upload header is not valid JSON');
  }
  const request = toRequest(asSpec(header?.spec));
  const uploads = asUploads(header?.uploads);
  return start(messages(request, uploads, reader));
}

async function* messages(req: RunJobRequest, uploads: UploadEntry[], reader: ByteReader): AsyncGenerator<RunJobStreamMessage> {
  const listed = uploads.map((u) => ({ path: u.path, content: Buffer.alloc(0), mode: u.mode, isDirectory: u.isDirectory, size: String(u.size) }));
  yield { message: { $case: 'request', request: { ...req, uploads: listed } } };
  for (const [index, u] of uploads.entries()) {
    if (u.isDirectory) continue;
    for (let left = u.size; left > 0; ) {
      const data = await reader.upTo(Math.min(CHUNK, left), `the content of ${u.path}`);
      left -= data.length;
      yield { message: { $case: 'chunk', chunk: { index, data } } };
    }
  }
  if (!(await reader.atEnd())) throw new InvalidArgumentError('the upload body is longer than its files');
}

/** Check the shape of a RunSpec from the page. */
function asSpec(v: unknown): RunSpec {
  const s = v as RunSpec;
  const strings = (a: unknown) => Array.isArray(a) && a.every((x) => typeof x === 'string');
  if (!s || typeof s !== 'object' || typeof s.command !== 'string' || !strings(s.args) || typeof s.workdir !== 'string' || typeof s.network !== 'string' || !strings(s.volumes)) {
    throw new InvalidArgumentError('the run request is malformed: it needs command, args, env, workdir, limits, network and volumes');
  }
  if (!Array.isArray(s.env) || !s.env.every((p) => Array.isArray(p) && p.length === 2 && typeof p[0] === 'string' && typeof p[1] === 'string')) {
    throw new InvalidArgumentError('env must be a list of [KEY, VALUE] pairs');
  }
  if (!s.limits || typeof s.limits !== 'object' || !Object.values(s.limits).every((x) => typeof x === 'string')) throw new InvalidArgumentError('limits must be texts such as "512" or "5m"');
  if (s.runtime !== undefined && typeof s.runtime !== 'string') throw new InvalidArgumentError('runtime must be a runtime name, e.g. "python:3.11-ml", or "" for the host\'s /usr');
  if (s.timing !== undefined && (!s.timing || typeof s.timing !== 'object' || !Object.values(s.timing).every((x) => typeof x === 'string'))) throw new InvalidArgumentError('timing must be texts such as "30s" or "@daily"');
  return s;
}

function asUploads(v: unknown): UploadEntry[] {
  if (!Array.isArray(v)) throw new InvalidArgumentError('the upload header lists no uploads');
  return v.map((u: UploadEntry, i) => {
    if (!u || typeof u.path !== 'string' || typeof u.isDirectory !== 'boolean' || !Number.isSafeInteger(u.size) || u.size < 0 || !Number.isInteger(u.mode) || u.mode < 0 || u.mode > 0o7777) {
      throw new InvalidArgumentError(`upload ${i + 1} is malformed: it needs path, size, mode and isDirectory`);
    }
    return { path: u.path, size: u.isDirectory ? 0 : u.size, mode: u.mode, isDirectory: u.isDirectory };
  });
}

/** The scheduling fields, checked with rnx run's rules and messages ('' = the flag was not given). */
function timing(s: RunSpec) {
  const t = s.timing;
  const given = (v: string | undefined) => (v && v.trim() ? v.trim() : undefined);
  const flags = { schedule: given(t?.schedule), cron: given(t?.cron), cronTz: given(t?.cronTz), concurrency: given(t?.concurrency), name: given(t?.name) };
  checkTiming(flags, false);
  return timingFields(flags);
}

/** The RunJobRequest for a form, refusing bad values with the message of the matching rnx flag. */
export function toRequest(s: RunSpec): RunJobRequest {
  const command = s.command.trim();
  if (!command) throw new InvalidArgumentError('no command given: enter the program to run, e.g. echo');
  const environment: Record<string, string> = {};
  for (const [k, v] of s.env) {
    if (!k || k.includes('=')) throw new InvalidArgumentError(`--env ${k}=${v}: use KEY=VALUE`);
    environment[k] = v;
  }
  const volumes: string[] = [];
  for (const v of s.volumes) {
    checkVolumeName(v);
    if (volumes.includes(v)) throw new InvalidArgumentError(`--volume=${v} is given twice; mount each volume once`);
    volumes.push(v);
  }
  // Fields left out stay empty: workflows are run from their YAML, not joined from here.
  return RunJobRequest.fromPartial({
    command,
    args: s.args,
    environment,
    workDir: s.workdir.trim(),
    // The same texts and ranges as the rnx run flags the form shows; the server checks its own ceilings.
    ...parseLimitTexts(s.limits),
    ...timing(s),
    network: s.network.trim(),
    volumes,
    // '' (or left out) = the host's /usr; anything else is checked as `rnx run --runtime` checks it,
    // and the server refuses a runtime that is not installed with the message rnx prints.
    runtime: s.runtime ? parseRuntime(s.runtime) : '',
  });
}
