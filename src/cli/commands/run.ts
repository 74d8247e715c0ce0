/**
 * `rnx run`: start a job. Without --wait it prints the job's id, command, status and start time
 * (as the original does); with --wait it streams the job's stdout and stderr live and exits with
 * the job's exit code.
 */
import { Option } from 'clipanion';
import type { Job, RunJobRequest, RunJobResponse } from '../../gen/joblet';
import { scheduleJson as scheduleJsonOf } from '../schedule-format';
import { BaseCommand } from '../base';
import type { Connection } from '../client';
import { commandLine, jobJson } from '../format';
import { globalOptions } from '../globals';
import { parseRunArgs, type RunArgs } from '../run-args';
import { writeChunks } from '../stream-output';
import { collectUploads, progressBar, uploadMessages } from '../uploads';
import { reportSchedule, reportScheduledJob } from '../schedule-format';

/** Start a job. */
export class RunCommand extends BaseCommand {
  static override paths = [['run'], ['job', 'run']];
  static override usage = BaseCommand.Usage({
    description: 'Run a command in an isolated job on the server',
    details: `
      Flags (before the command): --env KEY=VALUE (repeatable), --workdir DIR (default /work), --upload FILE (repeatable; lands in /work under its base name), --upload-dir DIR (keeps relative paths), --volume NAME (repeatable; mounts volume NAME read-write at /volumes/NAME, see 'rnx volume'), --network MODE (none: loopback only; isolated: the outside only; bridge: the shared network; or a network from 'rnx network create'; default: the server's network.defaultMode), --wait (stream output, exit with the job's exit code), --json, --config PATH, --node NAME.

      Limits (the server's defaults apply to what you do not give; its ceilings bound what you may ask): --max-cpu=PERCENT (100 = one core), --cpu-cores=0-1,4, --max-memory=MB, --max-iobps=BYTES_PER_SECOND, --max-pids=N, --max-disk=SIZE (quota of /work, e.g. 10MB), --timeout=DURATION (90s, 5m, 2h30m).

      Scheduling: --schedule=SPEC runs the job once later: a duration (30s, 5m, 1h30m, 1d), a time (2026-12-02T10:00:00+01:00, or without a zone in this machine's local time) or HH:MM (the next occurrence); at most one year ahead. --cron=EXPR makes a recurring schedule instead (5 or 6 fields, @hourly, @daily, '@every 90s'), with --cron-tz=ZONE (IANA, default: the server's zone), --concurrency=allow|forbid|replace and --name=NAME; see 'rnx schedule'.

      Everything after the command is passed to it verbatim; put \`--\` before the command when it starts with a dash.
    `,
    examples: [
      ['Run and return at once', 'rnx run echo hello'],
      ['Run and wait, with output', 'rnx run --wait sh -c "echo out; echo err >&2; exit 3"'],
      ['Upload a script and run it', 'rnx run --upload=job.sh --wait sh job.sh'],
      ['Run once in 30 minutes', 'rnx run --schedule=30m ./backup.sh'],
      ['Run every night at 02:30 in Berlin, never twice at once', "rnx run --cron='30 2 * * *' --cron-tz=Europe/Berlin --concurrency=forbid --name=nightly ./backup.sh"],
    ],
  });

  rest = Option.Proxy();

  async run(): Promise<number> {
    const a = parseRunArgs(this.rest);
    const g = globalOptions();
    const { connect, explain } = require('../client') as typeof import('../client');
    const conn = connect({ config: a.config, node: a.node });
    try {
      const res = await this.start(conn, a);
      if (res.schedule) {
        if (a.json || g.json) this.json(scheduleJsonOf(res.schedule));
        else reportSchedule(res.schedule, (l) => this.out(l));
        return 0;
      }
      const job = res.job!;
      if (!a.wait) {
        this.report(job, a.json || g.json);
        return 0;
      }
      await writeChunks(conn.jobs.getJobLogs({ uuid: job.uuid, noFollow: false }), this.context);
      const final = await conn.jobs.getJobStatus({ uuid: job.uuid });
      if (a.json || g.json) this.json(jobJson(final));
      // Exit codes are 0-255; -1 (unknown, e.g. the daemon restarted) becomes 255.
      return final.exitCode & 0xff;
    } catch (err) {
      throw explain(err, conn);
    } finally {
      conn.close();
    }
  }

  private async start(conn: Connection, a: RunArgs): Promise<RunJobResponse> {
    const req: RunJobRequest = {
      command: a.command,
      args: a.args,
      environment: a.env,
      workDir: a.workdir ?? '',
      ...a.limits,
      maxDiskBytes: String(a.limits.maxDiskBytes),
      uploads: [],
      schedule: a.timing.schedule,
      cron: a.timing.cron,
      cronTimezone: a.timing.cronTz,
      concurrency: a.timing.concurrency,
      scheduleName: a.timing.name,
      network: a.network,
      volumes: a.volumes,
      runtime: '',
      secretEnvironment: {},
      gpuCount: 0,
      gpuMemoryMb: 0,
    };
    const uploads = collectUploads(a.uploads, a.uploadDirs);
    const res =
      uploads.length === 0
        ? await conn.jobs.runJob(req)
        : await conn.transfer.runJobStreaming(uploadMessages(req, uploads, progressBar(uploads.reduce((n, u) => n + u.size, 0), this.context.stderr)));
    if (!res.job && !res.schedule) throw new Error('the server did not return the job it created');
    return res;
  }

  private report(job: Job, json: boolean): void {
    if (json) {
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
