/**
 * The console's HTTP API as both halves see it: the backend (src/console/api/) answers with these
 * shapes and the page (src/console/ui/) reads them. Pure types, no imports: the browser bundle and
 * the Node side compile this same file. Job objects are exactly the stable `rnx --json` form.
 */

/** A job: the same fields as `rnx status --json` (src/cli/format.ts JobJson). */
export interface JobView {
  id: string;
  command: string;
  args: string[];
  status: string;
  /** RFC 3339 times; null when not known yet (as in `rnx status --json`). */
  createdTime: string | null;
  startTime: string | null;
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
  limits: { cpuPercent: number; cpuCores: string; memoryBytes: number; ioBps: number; pids: number; diskBytes: number; timeoutMs: number };
  usage: { cpuSeconds: number; memoryPeakBytes: number; oomKills: number };
  volumes?: string[];
  network?: string;
  /** Runtime (NAME@VERSION) in place of the server's /usr; "" when none. */
  runtime: string;
  /** When a scheduled job is (or was) due; null for jobs that ran at once. */
  scheduledTime: string | null;
  /** The recurring schedule that started the job ("" when none) and its name. */
  scheduleId: string;
  scheduleName: string;
  /** When each state began, oldest first. */
  history: { status: string; time: string }[];
}

/** A node of the client config, as the node selector shows it. */
export interface NodeView {
  name: string;
  address: string;
  /** The node rnx uses without --node. */
  isDefault: boolean;
  /** Role of the client certificate (its Subject OU): admin may change things, viewer only read. */
  role: 'admin' | 'viewer' | 'unknown';
  /** Actions are hidden and refused: the certificate is not an admin one. */
  readOnly: boolean;
  /** Why the console cannot use this node ("" when it can), e.g. a missing certificate. */
  problem: string;
}

/** What the page learns first: which nodes exist and the token that mutations carry. */
export interface SessionView {
  version: string;
  /** Node the console was started for (--node, else the config's default). */
  node: string;
  nodes: NodeView[];
  /** Sent back in the X-Joblet-CSRF header of every mutation. */
  csrf: string;
  /** Path of the client config, for messages. */
  configPath: string;
}

/** A volume as `rnx volume list --json` prints it. */
export interface VolumeView {
  name: string;
  size: string;
  type: string;
  path: string;
  createdTime: string;
  jobCount: number;
  problem: string;
}

/** A network as `rnx network list --json` prints it. */
export interface NetworkView {
  name: string;
  cidr: string;
  bridge: string;
  jobs: number;
  builtin: boolean;
}

/** A runtime as `rnx runtime list --json` prints it (the fields the runtimes page shows). */
export interface RuntimeView {
  name: string;
  version: string;
  status: string;
  builtin: boolean;
  aliases: string[];
  description: string;
  language: string;
  languageVersion: string;
  sizeBytes: number;
  packageCount: number;
  jobs: number;
  problem: string;
}

/** One event of a runtime install as the runtimes page shows it, worded by src/cli/runtime-format.ts. */
export interface InstallEventView {
  /** Its number within the install: the id of its event on the live stream. */
  n: number;
  kind: 'phase' | 'log';
  text: string;
  /** Of a log line: debug, info, warn or error. */
  level?: string;
}

/** A runtime install started from the console (InstallRuntime), running or finished a short while ago. */
export interface InstallView {
  id: string;
  runtime: string;
  /** Built again although installed (--force). */
  force: boolean;
  state: 'running' | 'succeeded' | 'failed' | 'cancelled';
  /** How it ended, in the lines rnx prints; [] while it runs. */
  result: string[];
  startedAt: string;
  endedAt: string | null;
  /** The latest phase. */
  phase: { number: number; total: number; name: string; text: string } | null;
  /** While packages install: the one being handled and how many are done. */
  packages: { current: string; done: number; total: number } | null;
  /** Events no longer kept (the oldest log lines of a long build). */
  dropped: number;
}

/** What a runtime's smoke test (TestRuntime) showed, as `rnx runtime test --json` prints it. */
export interface RuntimeTestView {
  runtime: string;
  success: boolean;
  output: string;
  error: string;
  exitCode: number;
  jobId: string;
}

/** Whether the connected server has a feature, and what it said when it does not. */
export interface FeatureState {
  available: boolean;
  message: string;
}

/** An error answer of the API: the same one-line message rnx prints. */
export interface ApiError {
  error: { code: string; message: string };
}

/** A piece of a job's output pushed over the live stream: stream 1 stdout, 2 stderr, 3 joblet notice. */
export interface LogEvent {
  s: number;
  t: string;
}

/** The host as the monitoring page names it (MonitoringService.GetSystemStatus). */
export interface HostView {
  hostname: string;
  os: string;
  kernel: string;
  arch: string;
  cpuCount: number;
  totalMemoryBytes: number;
  uptimeSeconds: number;
  /** The server's version ("" when it did not say). */
  version: string;
}

/** A process among the host's busiest. */
export interface ProcessView {
  pid: number;
  name: string;
  command: string;
  cpuPercent: number;
  memoryPercent: number;
  memoryBytes: number;
}

/** One host sample, condensed for the monitoring page's charts (StreamSystemMetrics). */
export interface HostSample {
  /** Unix milliseconds. */
  t: number;
  cpuPercent: number;
  load: number[];
  memUsedBytes: number;
  memTotalBytes: number;
  memPercent: number;
  swapUsedBytes: number;
  disks: { mount: string; device: string; usedBytes: number; totalBytes: number; percent: number }[];
  /** Bytes per second read and written over all disks. */
  ioReadRate: number;
  ioWriteRate: number;
  /** Bytes per second received and sent over the host's own interfaces (loopback and job veths left out). */
  netRxRate: number;
  netTxRate: number;
  processes: { total: number; running: number; threads: number };
  topByCpu: ProcessView[];
  topByMemory: ProcessView[];
}

/** One per-job sample, as `rnx job metrics --json` prints it (the fields the charts use). */
export interface JobSampleView {
  time: string;
  cpuPercent: number;
  memoryBytes: number;
  memoryLimitBytes: number;
  diskReadBytes: number;
  diskWriteBytes: number;
  netRecvBytes: number;
  netSentBytes: number;
  processCount: number;
  final: boolean;
}

/** A recurring schedule: the same fields as `rnx schedule list --json` (src/cli/schedule-format.ts). */
export interface ScheduleView {
  id: string;
  name: string;
  cron: string;
  timezone: string;
  concurrency: string;
  paused: boolean;
  nextRunTime: string | null;
  lastRunTime: string | null;
  lastJobId: string;
  lastStatus: string;
  command: string;
  args: string[];
  owner: string;
  createdTime: string | null;
  runs: number;
  skipped: number;
  missed: number;
  events: { time: string; message: string }[];
  /** "job" (command, args) or "workflow" (the workflow named in `workflow`). */
  kind: string;
  workflow: string;
}

/** What POST jobs answers for a recurring schedule (a plain run answers the JobView). */
export interface ScheduleCreated {
  schedule: ScheduleView;
}

/** A workflow: the same fields as `rnx workflow list --json` (src/cli/workflow-format.ts). */
export interface WorkflowView {
  id: string;
  name: string;
  file: string;
  workflowName: string;
  description: string;
  status: string;
  message: string;
  onFailure: string;
  totalJobs: number;
  completedJobs: number;
  failedJobs: number;
  canceledJobs: number;
  stoppedJobs: number;
  runningJobs: number;
  pendingJobs: number;
  createdTime: string | null;
  startTime: string | null;
  endTime: string | null;
  durationMs: number;
  owner: string;
  rerunOf: string;
  reruns: string[];
  scheduleId: string;
  scheduleName: string;
}

/** One job of a workflow, as `rnx workflow status --json` lists it. */
export interface WorkflowJobView {
  name: string;
  id: string;
  status: string;
  exitCode: number | null;
  /** Names of the jobs it waits for: the edges of the graph. */
  dependencies: string[];
  requirements: string[];
  startTime: string | null;
  endTime: string | null;
  attempt: number;
  maxAttempts: number;
  failureReason: string;
  allowFailure: boolean;
}

/** A workflow with its jobs and its file, as `rnx workflow status --json --detail` prints it. */
export interface WorkflowStatusView extends WorkflowView {
  jobs: WorkflowJobView[];
  yaml?: string;
}

/** What the page sends to run a workflow file. */
export interface WorkflowRunBody {
  /** The file's name, e.g. "pipeline.yaml". */
  file: string;
  yaml: string;
  /** Which workflow of the file's `workflows:` ("" = its top-level jobs or its only one). */
  workflowName: string;
}
