/** Jobs: the calls of the jobs list, the job page and the run form. */
import { RUN_UPLOAD_TYPE, type RunSpec, type UploadEntry } from '../../shared/run-spec';
import type { JobView, ScheduleCreated } from '../../shared/types';
import { call, nodeApi } from './core';

/** One job. */
export function getJob(node: string, id: string): Promise<JobView> {
  return call('GET', nodeApi(node, `jobs/${encodeURIComponent(id)}`));
}

/** Stop a running job (rnx stop). */
export function stopJob(node: string, id: string): Promise<{ id: string; status: string }> {
  return call('POST', nodeApi(node, `jobs/${encodeURIComponent(id)}/stop`));
}

/** Delete a finished job and its logs (rnx delete). */
export function deleteJob(node: string, id: string): Promise<{ id: string; deleted: boolean }> {
  return call('DELETE', nodeApi(node, `jobs/${encodeURIComponent(id)}`));
}

/** Delete every finished job (rnx delete --all). */
export function deleteFinished(node: string): Promise<{ deleted: number; skipped: number }> {
  return call('POST', nodeApi(node, 'jobs/delete-finished'));
}

/** A file to upload with its place in /work. */
export interface UploadFile {
  entry: UploadEntry;
  /** The data; absent for directories. */
  file?: File;
}

/** Start a job (or make a recurring schedule, with cron); with uploads the files stream after a JSON header, as RUN_UPLOAD_TYPE. */
export function runJob(node: string, spec: RunSpec, uploads: UploadFile[]): Promise<JobView | ScheduleCreated> {
  if (uploads.length === 0) return call('POST', nodeApi(node, 'jobs'), spec);
  const header = new TextEncoder().encode(JSON.stringify({ spec, uploads: uploads.map((u) => u.entry) }));
  const len = new Uint8Array(4);
  new DataView(len.buffer).setUint32(0, header.length);
  // The browser streams the files from disk into the request; nothing is read into memory here.
  const body = new Blob([len, header, ...uploads.flatMap((u) => (u.file ? [u.file] : []))]);
  return call('POST', nodeApi(node, 'jobs'), body, RUN_UPLOAD_TYPE);
}

/** Address of the live jobs list for a query string. */
export function jobsFeedUrl(node: string, query: string): string {
  return nodeApi(node, `live/jobs${query ? `?${query}` : ''}`);
}

/** Address of one job's live stream. */
export function jobLiveUrl(node: string, id: string): string {
  return nodeApi(node, `live/jobs/${encodeURIComponent(id)}`);
}

/** Address of a job's log as a file: all streams, or stdout or stderr alone. */
export function logDownloadUrl(node: string, id: string, stream: 'all' | 'stdout' | 'stderr' = 'all'): string {
  return nodeApi(node, `jobs/${encodeURIComponent(id)}/log?stream=${stream}`);
}

/** Cancel a scheduled job before it starts (rnx cancel). */
export function cancelJob(node: string, id: string): Promise<{ id: string; status: string }> {
  return call('POST', nodeApi(node, `jobs/${encodeURIComponent(id)}/cancel`));
}
