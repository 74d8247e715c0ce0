/**
 * Daemon start-up and shutdown. Order matters: config, root check, the state-dir lock, PID
 * namespace support (before any thread could spawn), cgroups, store, recovery of jobs left by a
 * previous run, runtimes, volumes, networks, scheduled jobs and schedules, then the listener. Shutdown
 * undoes the same steps in reverse, and so does a start-up that fails at any step.
 */
import * as fs from 'node:fs';
import { loadServerConfig } from '../shared/config/server';
import { ConfigError, describeError } from '../shared/errors';
import { version } from '../shared/version';
import { createCgroupManager } from '../sandbox/cgroups/detect';
import { initPidNamespaceSupport, spawnSandboxed } from '../sandbox/spawn';
import { WarmPool } from '../sandbox/pool';
import { logStartup } from './jobs/startup-log';
import { Database, JobStore, RecordTable } from '../store/db';
import type { NetworkRecord } from '../store/network-record';
import type { VolumeRecord } from '../store/volume-record';
import { readHostCapacity } from './jobs/limits';
import { JobManager } from './jobs/manager';
import { createLogger } from './log';
import { lockStateDir } from './pidfile';
import { buildServer, serverCredentials } from './server';
import { VolumeManager } from './volumes/manager';
import { NetworkManager } from './network/manager';
import { HostTools } from './network/tools';
import { RuntimeManager } from './runtimes/manager';
import { installCrashGuard } from './crash-guard';
import { TimerQueue } from './schedule/timers';
import { ScheduleManager } from './schedule/manager';
import { jobTargetRunner } from './schedule/job-target';
import { ScheduleStore } from '../store/schedule-store';
import { WorkflowStore } from '../store/workflow-store';
import { WorkflowManager } from './workflows/manager';
import { scheduleStagedKeys, workflowTargetRunner } from './workflows/schedule-target';
import { MonitoringManager } from './monitoring/manager';
import { MetricsStore } from '../store/metrics';

/** A step of start-up to undo at shutdown (or when a later start-up step fails). */
interface Undo {
  name: string;
  run: () => unknown;
}

/** Run until a signal; returns the exit code (2 for configuration errors). */
export async function runDaemon(configFlag: string | undefined, stderr: NodeJS.WritableStream): Promise<number> {
  // Start-up pushes the undo of each step before (or right after) doing it; shutdown — and a
  // start-up that fails at any step, listen() included — runs them all in reverse, each guarded,
  // so one failing clean-up never leaves the others undone.
  const undo: Undo[] = [];
  let warn = (m: string): void => {
    stderr.write(`joblet: ${m}\n`);
  };
  // A log reader that goes away (a closed pipe) must not take the daemon and its jobs with it:
  // without a listener, EPIPE on stderr is an uncaught exception.
  for (const s of [process.stdout, process.stderr]) s.on('error', () => undefined);
  try {
    const { config, path: configPath } = loadServerConfig(configFlag);
    const log = createLogger(config.server.logLevel, stderr);
    warn = (m) => log.warn(m);
    undo.push({ name: 'crash handlers', run: installCrashGuard((m) => log.error(m)) });
    if (process.getuid?.() !== 0) throw new ConfigError('joblet serve must run as root: it creates namespaces, mounts and cgroups for jobs');
    fs.mkdirSync(config.server.stateDir, { recursive: true, mode: 0o700 });
    fs.chmodSync(config.server.stateDir, 0o700);
    undo.push({ name: 'state dir lock', run: lockStateDir(config.server.stateDir) });
    initPidNamespaceSupport();
    const cgroups = createCgroupManager({ instance: config.server.instance });
    // Also when start-up fails below: the instance cgroup must not outlive this daemon.
    undo.push({ name: 'cgroup clean-up', run: () => cgroups.dispose() });
    const db = new Database(config.server.stateDir);
    undo.push({ name: 'database', run: () => db.close() });
    const timers = new TimerQueue((m) => log.error(m));
    undo.push({ name: 'timers', run: () => timers.stop() });
    const store = new JobStore(db);
    const volumes = new VolumeManager(
      { ...config.volumes, stateDir: config.server.stateDir, uid: config.jobs.uid, gid: config.jobs.gid },
      { table: new RecordTable<VolumeRecord>(db, 'volumes'), log: (m) => log.info(m) },
    );
    const networks = new NetworkManager(
      { ...config.network, instance: config.server.instance },
      { tools: HostTools.locate(), table: new RecordTable<NetworkRecord>(db, 'networks'), log },
    );
    // Runtime builds run as sandboxed processes of their own (cold starts: builds are rare and long), on the build network.
    const runtimes = new RuntimeManager(
      { stateDir: config.server.stateDir, runtimes: config.runtimes, jobletVersion: version(), spec: config.jobs },
      { build: { cgroups, spawn: (spec) => spawnSandboxed(spec), network: networks, specSettings: config.jobs }, log: (m) => log.info(m) },
    );
    // Warm inits: the job's sandbox starts from a process whose Node is already loaded (DESIGN §3.6).
    const pool = new WarmPool({ size: config.jobs.warmPool, maxIdleMs: config.jobs.warmPoolMaxIdleSeconds * 1000, warn: (m) => log.warn(m) });
    const spawn = (spec: Parameters<WarmPool['spawn']>[0], abort?: AbortSignal) => pool.spawn(spec, abort).then((proc) => logStartup(spec.jobId, proc, log));
    const monitoring: MonitoringManager = new MonitoringManager(
      { ...config.monitoring, stateDir: config.server.stateDir },
      // `jobs` is defined below; these run only once requests arrive.
      { store: new MetricsStore(db), job: (id) => jobs.get(id), veth: (id) => networks.hostVeth(id), log: (m) => log.warn(m) },
    );
    const jobs: JobManager = new JobManager(
      { ...config.jobs, ...config.scheduling, stateDir: config.server.stateDir, validation: { limits: config.limits, host: readHostCapacity() } },
      // Networks, volumes and runtimes attach here as JobResources (acquired before spawn, released after).
      // Job cgroups are sampled from creation to destruction through the metered cgroup manager.
      { store, cgroups: monitoring.meter(cgroups), spawn, log: (m) => log.info(m), resources: [networks, volumes.resource(), runtimes.resource()], timers },
    );
    await jobs.recover();
    // After recovery (which killed the cgroups of interrupted builds): their staging directories go.
    runtimes.start();
    // Closed after the jobs have stopped (undo runs in reverse): no job is left waiting for an init.
    undo.push({ name: 'warm pool', run: () => pool.close() });
    pool.open();
    // After recovery: no job of an earlier run holds a volume any more. Undone even if start()
    // fails half way: shutdown() releases what start() got to.
    undo.push({ name: 'volume clean-up', run: () => volumes.shutdown() });
    await volumes.start();
    // Also after recovery: namespaces and veths of killed jobs are stale and go.
    undo.push({ name: 'network clean-up', run: () => networks.shutdown() });
    await networks.start();
    // Sampling stops after the jobs (undo runs in reverse), so their final samples are kept.
    undo.push({ name: 'monitoring', run: () => monitoring.stop() });
    monitoring.start();
    // Jobs stop before the networks and volumes they use are released (undo runs in reverse).
    undo.push({ name: 'stopping jobs', run: () => jobs.shutdown() });
    // Builds end before the jobs and the build network they use (undo runs in reverse).
    undo.push({ name: 'runtime builds', run: () => runtimes.shutdown() });
    const scheduleStore = new ScheduleStore(db);
    const workflowStore = new WorkflowStore(db);
    const workflows = new WorkflowManager(
      { ...config.workflows, stateDir: config.server.stateDir, uid: config.jobs.uid, gid: config.jobs.gid, maxUploadBytes: config.limits.maxDiskBytes },
      {
        store: workflowStore,
        jobs,
        jobStore: store,
        timers,
        volumes: () => volumes.list().map((v) => v.record.name),
        networks: () => networks.list().map((n) => n.name),
        runtimes: runtimes.catalogue(),
        scheduleKeys: () => scheduleStagedKeys(scheduleStore),
        log: (m) => log.info(m),
      },
    );
    // Before the jobs stop (undo runs in reverse): a workflow must not react to its jobs being stopped by the shutdown.
    undo.push({ name: 'workflows', run: () => workflows.shutdown() });
    undo.push({ name: 'workflow listener', run: jobs.lifecycle.subscribe((c) => workflows.onJobChange(c)) });
    const schedules = new ScheduleManager(
      { ...config.scheduling, stateDir: config.server.stateDir },
      { store: scheduleStore, timers, targets: { job: jobTargetRunner(jobs), workflow: workflowTargetRunner(workflows) }, log: (m) => log.info(m) },
    );
    undo.push({ name: 'schedules', run: () => schedules.stop() });
    undo.push({ name: 'schedule listener', run: jobs.lifecycle.subscribe((c) => schedules.onJobChange(c)) });
    jobs.pruneStaged(new Set([...schedules.ids(), ...workflowStore.stagedKeys(), ...scheduleStagedKeys(scheduleStore)]));
    jobs.start();
    workflows.start();
    schedules.start();
    const opts = {
      address: config.server.address,
      caCert: config.security.caCert,
      serverCert: config.security.serverCert,
      serverKey: config.security.serverKey,
      maxMessageBytes: config.server.maxMessageBytes,
      uploadIdleSeconds: config.jobs.uploadIdleSeconds,
    };
    const server = buildServer(jobs, opts, (m) => log.error(m), { volumes, networks, runtimes, schedules, monitoring, workflows });
    undo.push({
      name: 'gRPC server',
      run: async () => {
        // In-flight calls (log followers) get 3 s to finish; the timer must not keep the process alive.
        await Promise.race([server.shutdown(), new Promise((r) => setTimeout(r, 3000).unref())]);
        server.forceShutdown();
      },
    });
    const port = await server.listen(opts.address, serverCredentials(opts)).catch((err: Error) => {
      throw new ConfigError(`server.address: cannot listen on ${opts.address}: ${err.message}`);
    });
    log.info(`joblet ${version()} listening on ${opts.address.replace(/:\d+$/, `:${port}`)} (config ${configPath}, state ${config.server.stateDir}, cgroups ${cgroups.kind}, instance ${config.server.instance})`);
    await waitForSignal();
    log.info('shutting down: stopping running jobs');
    await release(undo, warn);
    log.info('stopped');
    return 0;
  } catch (err) {
    stderr.write(`joblet: ${describeError(err)}\n`);
    await release(undo, warn);
    return err instanceof ConfigError ? 2 : 1;
  }
}

/** Undo start-up steps in reverse; a failing step is reported and the rest still run. */
async function release(undo: Undo[], warn: (m: string) => void): Promise<void> {
  while (undo.length) {
    const step = undo.pop()!;
    try {
      await step.run();
    } catch (err) {
      warn(`${step.name}: ${describeError(err)}`);
    }
  }
}

function waitForSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (sig: NodeJS.Signals) => {
      process.off('SIGTERM', on);
      process.off('SIGINT', on);
      resolve(sig);
    };
    process.on('SIGTERM', on);
    process.on('SIGINT', on);
  });
}
