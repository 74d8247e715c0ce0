/**
 * Daemon start-up and shutdown. Order matters: config, root check, the state-dir lock, PID
 * namespace support (before any thread could spawn), cgroups, store, recovery of jobs left by a
 * previous run, then the listener. Shutdown stops jobs before the store closes.
 */
import * as fs from 'node:fs';
import { loadServerConfig } from '../shared/config/server';
import { ConfigError, describeError } from '../shared/errors';
import { version } from '../shared/version';
import { createCgroupManager } from '../sandbox/cgroups/detect';
import { initPidNamespaceSupport } from '../sandbox/spawn';
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

/** Run until a signal; returns the exit code (2 for configuration errors). */
export async function runDaemon(configFlag: string | undefined, stderr: NodeJS.WritableStream): Promise<number> {
  let cleanup: (() => void)[] = [];
  // A log reader that goes away (a closed pipe) must not take the daemon and its jobs with it:
  // without a listener, EPIPE on stderr is an uncaught exception.
  for (const s of [process.stdout, process.stderr]) s.on('error', () => undefined);
  try {
    const { config, path: configPath } = loadServerConfig(configFlag);
    const log = createLogger(config.server.logLevel, stderr);
    if (process.getuid?.() !== 0) throw new ConfigError('joblet serve must run as root: it creates namespaces, mounts and cgroups for jobs');
    fs.mkdirSync(config.server.stateDir, { recursive: true, mode: 0o700 });
    fs.chmodSync(config.server.stateDir, 0o700);
    cleanup.push(lockStateDir(config.server.stateDir));
    initPidNamespaceSupport();
    const cgroups = createCgroupManager({ instance: config.server.instance });
    // Also when start-up fails below: the instance cgroup must not outlive this daemon.
    cleanup.push(() => {
      try {
        cgroups.dispose();
      } catch (err) {
        log.warn(`cgroup clean-up: ${describeError(err)}`);
      }
    });
    const db = new Database(config.server.stateDir);
    const store = new JobStore(db);
    const volumes = new VolumeManager(
      { ...config.volumes, stateDir: config.server.stateDir, uid: config.jobs.uid, gid: config.jobs.gid },
      { table: new RecordTable<VolumeRecord>(db, 'volumes'), log: (m) => log.info(m) },
    );
    const networks = new NetworkManager(
      { ...config.network, instance: config.server.instance },
      { tools: HostTools.locate(), table: new RecordTable<NetworkRecord>(db, 'networks'), log },
    );
    // Warm inits: the job's sandbox starts from a process whose Node is already loaded (DESIGN §3.6).
    const pool = new WarmPool({ size: config.jobs.warmPool, maxIdleMs: config.jobs.warmPoolMaxIdleSeconds * 1000, warn: (m) => log.warn(m) });
    const spawn = (spec: Parameters<WarmPool['spawn']>[0]) => pool.spawn(spec).then((proc) => logStartup(spec.jobId, proc, log));
    const jobs = new JobManager(
      { ...config.jobs, stateDir: config.server.stateDir, validation: { limits: config.limits, host: readHostCapacity() } },
      // Networks and volumes attach here as JobResources (acquired before spawn, released after).
      { store, cgroups, spawn, log: (m) => log.info(m), resources: [networks, volumes.resource()] },
    );
    await jobs.recover();
    pool.open();
    cleanup.push(() => void pool.close());
    // After recovery: no job of an earlier run holds a volume any more.
    await volumes.start();
    // Also after recovery: namespaces and veths of killed jobs are stale and go.
    await networks.start();
    const opts = {
      address: config.server.address,
      caCert: config.security.caCert,
      serverCert: config.security.serverCert,
      serverKey: config.security.serverKey,
      maxMessageBytes: config.server.maxMessageBytes,
    };
    const server = buildServer(jobs, opts, (m) => log.error(m), { volumes, networks });
    const port = await server.listen(opts.address, serverCredentials(opts)).catch((err: Error) => {
      throw new ConfigError(`server.address: cannot listen on ${opts.address}: ${err.message}`);
    });
    log.info(`joblet ${version()} listening on ${opts.address.replace(/:\d+$/, `:${port}`)} (config ${configPath}, state ${config.server.stateDir}, cgroups ${cgroups.kind}, instance ${config.server.instance})`);
    await waitForSignal();
    log.info('shutting down: stopping running jobs');
    // In-flight calls (log followers) get 3 s to finish; the timer must not keep the process alive.
    await Promise.race([server.shutdown(), new Promise((r) => setTimeout(r, 3000).unref())]);
    server.forceShutdown();
    await jobs.shutdown();
    await pool.close();
    await volumes.shutdown();
    await networks.shutdown().catch((err) => log.warn(`network clean-up: ${describeError(err)}`));
    db.close();
    log.info('stopped');
    return 0;
  } catch (err) {
    stderr.write(`joblet: ${describeError(err)}\n`);
    return err instanceof ConfigError ? 2 : 1;
  } finally {
    for (const c of cleanup.reverse()) c();
    cleanup = [];
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
