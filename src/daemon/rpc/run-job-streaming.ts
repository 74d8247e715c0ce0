/**
 * JobTransferService.RunJobStreaming: the request first, then upload data in chunks, written to
 * the job's workspace as it arrives — neither side ever holds a whole file. The job starts when
 * every declared byte has arrived; a broken or short upload abandons it and leaves nothing behind.
 */
import type { RunJobResponse, RunJobStreamMessage } from '../../gen/joblet';
import { InvalidArgumentError } from '../../shared/errors';
import type { CallerContext } from '../middleware/auth';
import type { JobManager, PendingJob } from '../jobs/manager';
import { int64 } from '../jobs/limits';
import { checkUploadList, type UploadEntry } from '../jobs/uploads';
import { printable } from '../../shared/ids';
import type { JobRequest } from '../jobs/validate';
import type { ScheduleManager } from '../schedule/manager';
import { submit } from './submit';
import { idleLimited } from './idle';

/** Handler factory; a stream silent for more than `idleSeconds` is aborted and its workspace freed. */
export function runJobStreaming(jobs: JobManager, schedules: ScheduleManager, idleSeconds: number) {
  return async (stream: AsyncIterable<RunJobStreamMessage>, ctx: CallerContext): Promise<RunJobResponse> => {
    const messages = idleLimited(stream, idleSeconds * 1000, `the upload stream sent nothing for ${idleSeconds} s (jobs.uploadIdleSeconds); the job was not created`);
    let spec: JobRequest | undefined;
    let entries: UploadEntry[] = [];
    let pending: PendingJob | undefined;
    let current = -1;
    try {
      for await (const m of messages) {
        const msg = m.message;
        if (msg?.$case === 'request') {
          if (spec) throw new InvalidArgumentError('the job request was sent twice; send it once, first');
          if (msg.request.workflowUuid || msg.request.requirements.length) throw new InvalidArgumentError('add a job to a workflow with RunJob (workflowUuid, requirements; uploads inline)');
          spec = jobs.check(msg.request);
          schedules.admit(spec);
          entries = msg.request.uploads.map((u) => ({ path: u.path, mode: u.mode, isDirectory: u.isDirectory, size: u.isDirectory ? -1 : int64(`upload '${printable(u.path)}' size`, u.size) }));
          const inodes = checkUploadList(entries);
          pending = jobs.prepare(spec, entries.reduce((n, e) => n + Math.max(0, e.size), 0), inodes, msg.request.jobUuid || undefined);
          for (const e of entries) if (e.isDirectory) pending.workspace.mkdir(e);
        } else if (msg?.$case === 'chunk') {
          if (!pending) throw new InvalidArgumentError('upload data arrived before the job request');
          const { index, data } = msg.chunk;
          if (index !== current) current = advanceTo(index, current, entries, pending);
          pending.workspace.write(data);
        }
      }
      if (!spec || !pending) throw new InvalidArgumentError('the stream ended without a job request');
      current = advanceTo(entries.length, current, entries, pending);
      const done = pending;
      pending = undefined; // submit() consumes it, also when it fails
      return submit(jobs, schedules, done, spec, ctx.caller.name);
    } catch (err) {
      if (pending) jobs.abandon(pending);
      throw err;
    }
  };
}

/** Move on to file `index`: finish the current one and create every file up to it (empty files send no chunk). */
function advanceTo(index: number, current: number, entries: UploadEntry[], pending: PendingJob): number {
  if (!Number.isInteger(index) || index < current || index > entries.length) {
    throw new InvalidArgumentError(`upload chunk for file #${index} is out of order (expected #${current} or later, of ${entries.length})`);
  }
  for (let i = Math.max(current, 0); i <= index && i < entries.length; i++) {
    const e = entries[i]!;
    if (e.isDirectory) continue;
    if (i === current) {
      pending.workspace.finish();
      continue;
    }
    if (i < index) {
      pending.workspace.begin(e);
      pending.workspace.finish();
    } else pending.workspace.begin(e);
    pending.uploads.push(e.path);
  }
  if (index === entries.length) pending.workspace.finish();
  return index;
}
