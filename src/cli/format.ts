/**
 * Human and JSON renderings of jobs, shared by the commands. The JSON shape is stable and
 * documented in README.md: scripts rely on it.
 */
import type { GetJobStatusResponse, Job } from '../gen/joblet';
import { sampleJson, type SampleJson } from './metrics-format';

/** A job as rnx prints it with --json. */
export interface JobJson {
  id: string;
  command: string;
  args: string[];
  status: string;
  /** RFC 3339; null when not known. */
  createdTime: string | null;
  /** RFC 3339; null until the job starts. */
  startTime: string | null;
  /** RFC 3339; null until the job ends. */
  endTime: string | null;
  durationMs: number;
  exitCode: number | null;
  signal: string;
  failureReason: string;
  workDir: string;
  uploads: string[];
  environment: Record<string, string>;
  outputTruncated: boolean;
  owner: string;
  /** Limits in force; 0 / "" = not limited. */
  limits: { cpuPercent: number; cpuCores: string; memoryBytes: number; ioBps: number; pids: number; diskBytes: number; timeoutMs: number };
  /** What the job used (so far, while it runs). */
  usage: { cpuSeconds: number; memoryPeakBytes: number; oomKills: number };
  /** Volumes mounted at /volumes/NAME; only in `rnx status` (ListJobs does not carry them). */
  volumes?: string[];
  /** Network the job runs on; only in `rnx status` (ListJobs does not carry it). */
  network?: string;
  /** Runtime (NAME@VERSION) in place of the server's /usr; "" when none. */
  runtime: string;
  /** When a scheduled job is (or was) due (RFC 3339); null for jobs that ran at once. */
  scheduledTime: string | null;
  /** The recurring schedule that started the job ("" when none) and its name. */
  scheduleId: string;
  scheduleName: string;
  /** When each state began, oldest first. */
  history: { status: string; time: string }[];
  /** Latest metrics sample of a running job, else null; only in `rnx status`. */
  current?: SampleJson | null;
  /** The job's name ("" when none): its name in its workflow, or the name it was started with. */
  name: string;
  /** The workflow it belongs to ("" when none), and which attempt of its workflow job it is (0 outside workflows). */
  workflowId: string;
  attempt: number;
  /** Names of the jobs it waits for, and its requirements as written (workflow jobs). */
  dependencies: string[];
  requirements: string[];
}

const RUNNING_LIKE = new Set(['INITIALIZING', 'RUNNING', 'STOPPING', 'SCHEDULED', 'PENDING']);
const NOT_STARTED = new Set(['INITIALIZING', 'SCHEDULED', 'PENDING']);

/** The stable JSON form of a job or a status response. */
export function jobJson(j: Job | GetJobStatusResponse): JobJson {
  const d = j.detail;
  return {
    id: j.uuid,
    command: j.command,
    args: j.args,
    status: j.status,
    createdTime: nullTime(d?.createdTime),
    // The wire carries the creation time as start time until the job starts (as the original does):
    // a job started when its history has RUNNING (servers without history: by its state).
    startTime: (d?.history?.length ? d.history.some((h) => h.status === 'RUNNING') : !NOT_STARTED.has(j.status)) ? nullTime(j.startTime) : null,
    endTime: nullTime(j.endTime),
    durationMs: d?.durationMs ?? 0,
    exitCode: RUNNING_LIKE.has(j.status) ? null : j.exitCode,
    signal: d?.signal ?? '',
    failureReason: d?.failureReason ?? '',
    workDir: d?.workDir ?? '',
    uploads: d?.uploads ?? [],
    environment: j.environment,
    outputTruncated: d?.outputTruncated ?? false,
    owner: d?.owner ?? '',
    limits: {
      cpuPercent: d?.limits?.maxCpu ?? 0,
      cpuCores: d?.limits?.cpuCores ?? '',
      memoryBytes: d?.limits?.maxMemoryBytes ?? 0,
      ioBps: d?.limits?.maxIoBps ?? 0,
      pids: d?.limits?.maxPids ?? 0,
      diskBytes: d?.limits?.maxDiskBytes ?? 0,
      timeoutMs: d?.limits?.timeoutMs ?? 0,
    },
    usage: { cpuSeconds: d?.usage?.cpuSeconds ?? 0, memoryPeakBytes: d?.usage?.memoryPeakBytes ?? 0, oomKills: d?.usage?.oomKills ?? 0 },
    runtime: j.runtime,
    scheduledTime: nullTime(j.scheduledTime),
    scheduleId: d?.scheduleId ?? '',
    scheduleName: d?.scheduleName ?? '',
    history: (d?.history ?? []).map((h) => ({ status: h.status, time: h.time })),
    name: d?.name ?? '',
    workflowId: d?.workflowUuid ?? '',
    attempt: d?.attempt ?? 0,
    dependencies: d?.dependencies ?? [],
    requirements: d?.requirements ?? [],
    ...('volumes' in j ? { volumes: j.volumes } : {}),
    ...('network' in j ? { network: j.network } : {}),
    ...('volumes' in j ? { current: d?.current ? sampleJson(d.current) : null } : {}),
  };
}

/** A time from the wire for JSON: proto3 sends "" for a time not known yet, scripts want null. */
export function nullTime(t: string | undefined): string | null {
  return t ? t : null;
}

/** "cmd arg1 arg2" with arguments that need it quoted. */
export function commandLine(command: string, args: string[]): string {
  return [command, ...args].map(quote).join(' ');
}

function quote(s: string): string {
  if (s !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(s)) return s;
  return `'${safeText(s).replace(/'/g, `'\\''`)}'`;
}

/**
 * Text from a job or another client, made safe for a terminal: control characters (ESC, BEL, C1
 * codes...) are shown as \xNN, so nobody can move another user's cursor, retitle their window or
 * write their clipboard through `rnx list` or `rnx status`. JSON output escapes them by itself.
 */
export function safeText(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\x00-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** Local time as "2006-01-02 15:04:05", or "N/A". */
export function localTime(rfc3339: string | null): string {
  if (!rfc3339) return 'N/A';
  const d = new Date(rfc3339);
  if (Number.isNaN(d.getTime())) return rfc3339;
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** 850ms, 12.3s, 4m05s, 2h05m, 1d03h. */
export function duration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d${String(h % 24).padStart(2, '0')}h`;
}

/** Render rows as aligned columns under a header and a dashed rule. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
