/**
 * `rnx run [FLAGS] COMMAND [ARG...]`: start a job. Flags before COMMAND are rnx's; COMMAND and
 * everything after it go to the job verbatim (clipanion's proxy, as `yarn run` passes a script's
 * arguments). Without --wait it prints the job's id, command, status and start time (as the
 * original does); with --wait it streams the job's output live and exits with the job's exit code.
 */
import type { Job, RunJobRequest, RunJobResponse } from '../../gen/joblet';
import { ClientCommand, UsageError } from '../base';
import type { Connection } from '../client';
import { Arg, Flag } from '../flags';
import { commandLine, jobJson } from '../format';
import { reasonLine } from '../outcome';
import { checkTiming, CONCURRENCY_MODES, timingFields } from '../run-schedule';
import { reportSchedule, reportScheduledJob, scheduleJson } from '../schedule-format';
import { buildRunRequest } from '../run-request';
import { EXIT_INTERRUPTED, followJob, secondInterrupt } from '../stream-output';
import { isTerminal } from '../terminal';
import { collectUploads, progressBar, uploadMessages, type LocalUpload } from '../uploads';
import { commandSpec, usageLine, type RnxCommandClass } from '../spec';
import { readWorkflow, type LocalWorkflow } from '../workflow-file';
import { envFlags, submitWorkflow } from '../workflow-submit';
import { singleJobRequest } from '../run-workflow-job';

const LIMITS = { section: 'Limits (the server\'s defaults fill what is not given; its ceilings bound what may be asked)' };
const SCHEDULING = { section: 'Scheduling' };

/** How long after the first Ctrl-C a second one stops the job. */
const STOP_WINDOW_MS = 2000;

/** Start a job. */
export class RunCommand extends ClientCommand {
  static override paths = [['run'], ['job', 'run']];
  static override usage = ClientCommand.Usage({
    category: 'Jobs',
    description: 'Run a command in an isolated job on the server',
    details: `
      Flags before COMMAND belong to rnx; COMMAND and everything after it, flags included, go to the job verbatim.
      Put \`--\` before a COMMAND that starts with a dash. \`rnx run --help\` shows this help; \`rnx run CMD --help\` passes
      --help to CMD.

      With --wait, rnx streams the job's stdout and stderr live and exits with the job's exit code. When joblet ended the
      job (timeout, out of memory, a signal, rnx stop), one "[joblet] ..." line on stderr says why, e.g.
      "[joblet] killed: out of memory (limit 64 MB); exit code 137".

      Ctrl-C during --wait stops following and leaves the job running (it prints how to reattach); a second Ctrl-C within
      2 seconds stops the job (rnx stop).

      --schedule=SPEC runs the job once later: a duration (30s, 5m, 1h30m, 1d), a time (2026-12-02T10:00:00+01:00, or
      without a zone in this machine's local time) or HH:MM (the next occurrence); at most one year ahead. --cron=EXPR
      makes a recurring schedule instead (5 or 6 fields, @hourly, @daily, '@every 90s'), with --cron-tz, --concurrency
      and --name; see 'rnx schedule'.
    `,
    examples: [
      ['Run and return at once (prints the job id)', 'rnx run echo hello'],
      ['Run and wait, with output and exit code', 'rnx run --wait sh -c "echo out; echo err >&2; exit 3"'],
      ['Upload a script and run it', 'rnx run --upload=job.sh --wait sh job.sh'],
      ['Use a runtime', 'rnx run --runtime=python:3.11-ml --wait python3 -c "import numpy; print(numpy.__version__)"'],
      ['Limits', 'rnx run --max-memory=256 --max-cpu=50 --timeout=5m --wait make test'],
      ['A command that starts with a dash', 'rnx run -- -weird-tool --flag'],
      ['Run once in 30 minutes', 'rnx run --schedule=30m ./backup.sh'],
      ['Every night at 02:30 in Berlin, never twice at once', "rnx run --cron='30 2 * * *' --cron-tz=Europe/Berlin --concurrency=forbid --name=nightly ./backup.sh"],
    ],
  });

  env = Flag.list('-e,--env', 'KEY=VALUE', 'Environment variable for the job (repeatable)');
  workdir = Flag.string('--workdir', 'DIR', 'Working directory inside the job (default /work)');
  upload = Flag.list('--upload', 'FILE', 'Copy a file into /work under its base name (repeatable; modes kept)');
  uploadDir = Flag.list('--upload-dir', 'DIR', 'Copy a directory tree into /work, keeping relative paths (repeatable)', { complete: 'dirs' });
  volume = Flag.list('--volume', 'NAME', 'Mount volume NAME read-write at /volumes/NAME (repeatable)');
  network = Flag.string('--network', 'MODE', "none, isolated, bridge or a custom network (default: the server's network.defaultMode)", { values: ['none', 'isolated', 'bridge'] });
  runtime = Flag.string('--runtime', 'NAME', "A runtime from 'rnx runtime list' in place of the server's /usr, e.g. python:3.11-ml, java:17, node:18");
  wait = Flag.boolean('-w,--wait', "Stream the output live and exit with the job's exit code");
  maxCpu = Flag.string('--max-cpu', 'PERCENT', 'CPU limit in percent of one core (100 = one core, 250 = two and a half)', LIMITS);
  cpuCores = Flag.string('--cpu-cores', 'CORES', 'Pin the job to cores: 0-3, 1,3,5 or 0-1,4', LIMITS);
  maxMemory = Flag.string('--max-memory', 'MB', 'Memory limit in MB; past it the kernel OOM-kills the job (exit 137)', LIMITS);
  maxIobps = Flag.string('--max-iobps', 'BYTES', 'Disk I/O limit in bytes per second, read and write', LIMITS);
  maxPids = Flag.string('--max-pids', 'N', 'Limit of processes plus threads', LIMITS);
  maxDisk = Flag.string('--max-disk', 'SIZE', 'Quota of /work, e.g. 10MB (default: 1MB plus the uploads)', LIMITS);
  timeout = Flag.string('--timeout', 'DURATION', 'Stop the job when it runs longer: 90s, 5m, 2h30m', LIMITS);

  schedule = Flag.string('--schedule', 'SPEC', 'Run once, later: 30s, 1h30m, 1d, HH:MM or an RFC3339 time', SCHEDULING);
  cron = Flag.string('--cron', 'EXPR', "A recurring schedule instead of one job: 5 or 6 fields, @daily, '@every 90s'", SCHEDULING);
  cronTz = Flag.string('--cron-tz', 'ZONE', "IANA time zone of --cron, e.g. Europe/Berlin (default: the server's)", SCHEDULING);
  concurrency = Flag.string('--concurrency', 'MODE', 'With --cron, when the previous job still runs: allow, forbid (skip) or replace (stop it)', { ...SCHEDULING, values: CONCURRENCY_MODES });
  name = Flag.string('--name', 'NAME', 'Name of the --cron schedule (unique; for rnx schedule pause|resume|remove)', SCHEDULING);

  // Flags of features later releases bring: refused naming the feature, never ignored.
  // When a feature lands, delete its line here and declare the real flag above.
  secretEnv = Flag.notYet('-s,--secret-env', 'secret environment variables');
  gpu = Flag.notYet('--gpu', 'GPUs');
  gpuMemory = Flag.notYet('--gpu-memory', 'GPUs');

  workflow = Flag.string('--workflow', 'FILE', 'Run a workflow file instead of COMMAND (FILE:NAME: one of its workflows, or one of its jobs with these flags applied)', { section: 'Workflows' });

  argv = Arg.verbatim('COMMAND', 'The program to run in the job, then its arguments (verbatim)', { required: 1 });

  async run(): Promise<number> {
    const flags = { env: this.env, workdir: this.workdir, volumes: this.volume, network: this.network, runtime: this.runtime, maxCpu: this.maxCpu, cpuCores: this.cpuCores, maxMemory: this.maxMemory, maxIobps: this.maxIobps, maxPids: this.maxPids, maxDisk: this.maxDisk, timeout: this.timeout };
    let extra: LocalUpload[] = [];
    let req: RunJobRequest;
    if (this.workflow !== undefined) {
      const w = readWorkflow(this.workflow);
      if (w.kind !== 'job') return this.runWorkflow(w);
      const one = singleJobRequest(w, flags, this.argv);
      req = one.req;
      extra = one.uploads;
      if (one.job.requires.length && isTerminal(this.context.stderr)) this.context.stderr.write(`rnx: note: '${one.job.name}' runs alone: its requirements (${one.job.requires.map((r) => r.text).join('; ')}) do not apply\n`);
    } else {
      if (this.argv.length === 0) throw new UsageError(`no command given: ${usageLine(commandSpec(RunCommand as unknown as RnxCommandClass))}`);
      req = buildRunRequest(flags, this.argv);
    }
    const timing = { schedule: this.schedule, cron: this.cron, cronTz: this.cronTz, concurrency: this.concurrency, name: this.name };
    checkTiming(timing, this.wait);
    Object.assign(req, timingFields(timing));
    if (this.workflow === undefined) this.typoHint(req.command);
    return this.withNode(async (conn) => {
      const res = await this.start(conn, req, extra);
      if (res.schedule) {
        if (this.wantJson) this.json(scheduleJson(res.schedule));
        else reportSchedule(res.schedule, (l) => this.out(l));
        return 0;
      }
      const job = res.job!;
      if (!this.wait) {
        this.report(job);
        return 0;
      }
      return this.follow(conn, job.uuid);
    });
  }

  /** `--workflow=FILE` or `FILE:NAME` of a workflow: the whole workflow; only the flags that apply to a workflow are taken. */
  private runWorkflow(w: LocalWorkflow): Promise<number> {
    const jobOnly: [unknown, string][] = [
      [this.argv.length ? this.argv[0] : undefined, 'COMMAND'],
      [this.workdir, '--workdir'],
      [this.upload.length ? 1 : undefined, '--upload'],
      [this.uploadDir.length ? 1 : undefined, '--upload-dir'],
      [this.volume.length ? 1 : undefined, '--volume'],
      [this.network, '--network'],
      [this.runtime, '--runtime'],
      [this.maxCpu ?? this.cpuCores ?? this.maxMemory ?? this.maxIobps ?? this.maxPids ?? this.maxDisk, 'limits (--max-*, --cpu-cores)'],
      [this.timeout, '--timeout'],
      [this.schedule, '--schedule'],
    ];
    const given = jobOnly.filter(([v]) => v !== undefined).map(([, n]) => n);
    if (given.length) {
      throw new UsageError(`${given.join(', ')} ${given.length > 1 ? 'apply' : 'applies'} to one job, not to a whole workflow: set it in ${w.path} (or run one job with --workflow=${w.path}:JOB); a workflow runs now or on --cron`);
    }
    const timing = { cron: this.cron, cronTz: this.cronTz, concurrency: this.concurrency, name: this.name };
    checkTiming(timing, this.wait);
    const env = envFlags(this.env);
    return this.withNode((c) => submitWorkflow(c, w, { env, timing, follow: this.wait, json: this.wantJson, ctx: this.context }));
  }

  private async start(conn: Connection, req: RunJobRequest, extra: LocalUpload[] = []): Promise<RunJobResponse> {
    const uploads = [...extra, ...collectUploads(this.upload, this.uploadDir)];
    const seen = new Set<string>();
    for (const u of uploads) {
      if (seen.has(u.remote)) throw new UsageError(`two uploads would land at /work/${u.remote}: the workflow file's and --upload's; rename one`);
      seen.add(u.remote);
    }
    const res =
      uploads.length === 0
        ? await conn.jobs.runJob(req)
        : await conn.transfer.runJobStreaming(uploadMessages(req, uploads, progressBar(uploads.reduce((n, u) => n + u.size, 0), this.context.stderr)));
    if (!res.job && !res.schedule) throw new Error('the server did not return the job it created');
    return res;
  }

  /** Stream the job's output; report how it ended; its exit code becomes ours. */
  private async follow(conn: Connection, id: string): Promise<number> {
    if ((await followJob(conn, id, this.context)) === 'detached') return this.detached(conn, id);
    const final = jobJson(await conn.jobs.getJobStatus({ uuid: id }));
    const reason = reasonLine(final);
    if (reason) this.context.stderr.write(`${reason}\n`);
    if (this.wantJson) this.json(final);
    // Exit codes are 0-255; -1 (unknown, e.g. the daemon restarted) becomes 255.
    return (final.exitCode ?? -1) & 0xff;
  }

  /** After the first Ctrl-C: say how to reattach; a second one within the window stops the job. */
  private async detached(conn: Connection, id: string): Promise<number> {
    const err = this.context.stderr;
    // Listen before saying so: a Ctrl-C that follows the message at once must not find SIGINT's
    // default action (death by signal) in place.
    const again = secondInterrupt(STOP_WINDOW_MS);
    err.write(`\nrnx: job ${id} keeps running; reattach with 'rnx log ${id}', stop it with 'rnx stop ${id}'\n`);
    err.write(`rnx: press Ctrl-C again within ${STOP_WINDOW_MS / 1000} seconds to stop it now\n`);
    if (!(await again)) return EXIT_INTERRUPTED;
    err.write(`rnx: stopping job ${id}...\n`);
    const res = await conn.jobs.stopJob({ uuid: id });
    err.write(`rnx: job ${id} ${res.status.toLowerCase()}, exit code ${res.exitCode}\n`);
    return EXIT_INTERRUPTED;
  }

  /** `rnx run help`, `rnx run list`: probably meant for rnx. Runs as asked; a hint on a terminal. */
  private typoHint(command: string): void {
    if (!isTerminal(this.context.stderr)) return;
    const words = new Set(this.context.registry.commands.flatMap((c) => [c.path, ...c.aliases].map((p) => p[0]!)));
    if (!words.has(command)) return;
    const meant = command === 'help' ? 'rnx run --help' : `rnx ${[command, ...this.argv.slice(1)].join(' ')}`;
    this.context.stderr.write(`rnx: note: running '${command}' as the job's command on the server; if you meant '${meant}', run that instead\n`);
  }

  private report(job: Job): void {
    if (this.wantJson) {
      this.json(jobJson(job));
      return;
    }
    if (job.status === 'SCHEDULED') return reportScheduledJob(job, (l) => this.out(l));
    this.out(`ID: ${job.uuid}`);
    this.out(`Command: ${commandLine(job.command, job.args)}`);
    this.out(`Status: ${job.status}`);
    this.out(`StartTime: ${job.startTime}`);
  }
}

/**
 * `rnx run [FLAGS]` without COMMAND: the same command for the parser when no command follows the
 * flags (`rnx run --workflow=pipeline.yaml`). clipanion's verbatim argument would take the flags
 * themselves as the job's command if it were optional, so this form has none; help is RunCommand's.
 */
export class RunWithoutCommand extends RunCommand {
  static helpAs = RunCommand;
  override argv: string[] = [];
}
