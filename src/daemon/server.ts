/**
 * The gRPC server: TLS 1.3 with client certificates required and verified against our CA, the
 * identity interceptor, then nice-grpc middleware (errors outermost, then auth) around one
 * handler per RPC.
 */
import { ServerCredentials } from '@grpc/grpc-js';
import { createServer, type Server } from 'nice-grpc';
import {
  JobServiceDefinition,
  JobTransferServiceDefinition,
  MonitoringServiceDefinition,
  NetworkServiceDefinition,
  RuntimeServiceDefinition,
  ServerInfoServiceDefinition,
  ScheduleServiceDefinition,
  VolumeServiceDefinition,
  WorkflowServiceDefinition,
} from '../gen/joblet';
import { ConfigError } from '../shared/errors';
import { authMiddleware, type CallerContext } from './middleware/auth';
import { errorMiddleware } from './middleware/errors';
import { identityInterceptor } from './middleware/identity';
import type { JobManager } from './jobs/manager';
import { deleteAllJobs } from './rpc/delete-all-jobs';
import { deleteJob } from './rpc/delete-job';
import { getJobLogs } from './rpc/get-job-logs';
import { getJobStatus } from './rpc/get-job-status';
import { listJobs } from './rpc/list-jobs';
import { runJob } from './rpc/run-job';
import { runJobStreaming } from './rpc/run-job-streaming';
import { stopJob } from './rpc/stop-job';
import { createVolume } from './rpc/create-volume';
import { listVolumes } from './rpc/list-volumes';
import { removeVolume } from './rpc/remove-volume';
import type { VolumeManager } from './volumes/manager';
import type { NetworkManager } from './network/manager';
import { createNetwork } from './rpc/create-network';
import { listNetworks } from './rpc/list-networks';
import { removeNetwork } from './rpc/remove-network';
import { unimplementedMethods } from './rpc/unimplemented';
import type { RuntimeManager } from './runtimes/manager';
import { runtimeService } from './rpc/runtime-service';
import { getServerVersion } from './rpc/get-server-version';
import type { ScheduleManager } from './schedule/manager';
import { cancelJob } from './rpc/cancel-job';
import { listSchedules } from './rpc/list-schedules';
import { getSchedule } from './rpc/get-schedule';
import { pauseSchedule } from './rpc/pause-schedule';
import { resumeSchedule } from './rpc/resume-schedule';
import { removeSchedule } from './rpc/remove-schedule';
import type { MonitoringManager } from './monitoring/manager';
import { getSystemStatus } from './rpc/get-system-status';
import { streamSystemMetrics } from './rpc/stream-system-metrics';
import { getJobMetrics } from './rpc/get-job-metrics';
import { streamJobMetrics } from './rpc/stream-job-metrics';
import type { WorkflowManager } from './workflows/manager';
import { runWorkflow } from './rpc/run-workflow';
import { getWorkflowStatus } from './rpc/get-workflow-status';
import { listWorkflows } from './rpc/list-workflows';
import { getWorkflowJobs } from './rpc/get-workflow-jobs';
import { validateWorkflow } from './rpc/validate-workflow';
import { stopWorkflow } from './rpc/stop-workflow';
import { rerunWorkflow } from './rpc/rerun-workflow';
import { deleteWorkflow } from './rpc/delete-workflow';
import { streamWorkflowStatus } from './rpc/stream-workflow-status';

/** TLS material and limits for the listener. */
export interface ListenOptions {
  address: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  maxMessageBytes: number;
  /** An upload stream silent this long is aborted (jobs.uploadIdleSeconds). */
  uploadIdleSeconds?: number;
}

/** The managers behind the services other than jobs. */
export interface Services {
  volumes: VolumeManager;
  networks: NetworkManager;
  runtimes: RuntimeManager;
  schedules: ScheduleManager;
  monitoring: MonitoringManager;
  workflows: WorkflowManager;
}

/** Build the server with every service registered; call listen() on it. */
export function buildServer(jobs: JobManager, opts: ListenOptions, log: (msg: string) => void, services: Services): Server {
  const server = createServer({
    interceptors: [identityInterceptor],
    'grpc.max_receive_message_length': opts.maxMessageBytes,
    'grpc.max_send_message_length': opts.maxMessageBytes,
    // Clients (the Python SDK among them) ping every 30 s even when idle: never GOAWAY them for it.
    'grpc.keepalive_permit_without_calls': 1,
    'grpc.http2.min_ping_interval_without_data_ms': 5000,
  } as Record<string, unknown>)
    .use(errorMiddleware(log))
    .use(authMiddleware);

  const base = server as unknown as Server<CallerContext>;
  base.add(JobServiceDefinition, {
    runJob: runJob(jobs, services.schedules, services.workflows),
    getJobStatus: getJobStatus(jobs, services.monitoring),
    stopJob: stopJob(jobs),
    deleteJob: deleteJob(jobs),
    deleteAllJobs: deleteAllJobs(jobs),
    getJobLogs: getJobLogs(jobs),
    listJobs: listJobs(jobs, opts.maxMessageBytes, services.workflows),
    cancelJob: cancelJob(jobs),
    runWorkflow: runWorkflow(services.workflows, services.schedules),
    getWorkflowStatus: getWorkflowStatus(services.workflows),
    listWorkflows: listWorkflows(services.workflows),
    getWorkflowJobs: getWorkflowJobs(services.workflows),
    getJobMetrics: getJobMetrics(services.monitoring),
    streamJobMetrics: streamJobMetrics(services.monitoring),
    ...unimplementedMethods(['StreamJobTelematics', 'GetJobTelematics']),
  } as never);
  base.add(JobTransferServiceDefinition, { runJobStreaming: runJobStreaming(jobs, services.schedules, opts.uploadIdleSeconds ?? 60) } as never);
  base.add(WorkflowServiceDefinition, {
    validateWorkflow: validateWorkflow(services.workflows),
    stopWorkflow: stopWorkflow(services.workflows),
    rerunWorkflow: rerunWorkflow(services.workflows),
    deleteWorkflow: deleteWorkflow(services.workflows),
    streamWorkflowStatus: streamWorkflowStatus(services.workflows),
  } as never);
  base.add(ScheduleServiceDefinition, {
    listSchedules: listSchedules(services.schedules),
    getSchedule: getSchedule(services.schedules),
    pauseSchedule: pauseSchedule(services.schedules),
    resumeSchedule: resumeSchedule(services.schedules),
    removeSchedule: removeSchedule(services.schedules),
  } as never);
  base.add(NetworkServiceDefinition, {
    createNetwork: createNetwork(services.networks),
    listNetworks: listNetworks(services.networks),
    removeNetwork: removeNetwork(services.networks),
  } as never);
  base.add(VolumeServiceDefinition, {
    createVolume: createVolume(services.volumes),
    listVolumes: listVolumes(services.volumes),
    removeVolume: removeVolume(services.volumes),
  } as never);
  base.add(MonitoringServiceDefinition, {
    getSystemStatus: getSystemStatus(services.monitoring),
    streamSystemMetrics: streamSystemMetrics(services.monitoring),
  } as never);
  base.add(RuntimeServiceDefinition, runtimeService(services.runtimes, jobs) as never);
  base.add(ServerInfoServiceDefinition, { getServerVersion: getServerVersion() } as never);
  return base as unknown as Server;
}

/** Server credentials: TLS 1.3 only, client certificate required and verified against the CA. */
export function serverCredentials(opts: ListenOptions): ServerCredentials {
  let creds: ServerCredentials;
  try {
    creds = ServerCredentials.createSsl(Buffer.from(opts.caCert), [{ cert_chain: Buffer.from(opts.serverCert), private_key: Buffer.from(opts.serverKey) }], true);
  } catch (err) {
    throw new ConfigError(`security: cannot use the server certificate or key: ${(err as Error).message}`);
  }
  // grpc-js has no option for the TLS floor; add it to the context options it hands to node:tls.
  const inner = creds._getSecureContextOptions.bind(creds);
  creds._getSecureContextOptions = () => {
    const o = inner();
    return o && { ...o, minVersion: 'TLSv1.3' };
  };
  return creds;
}
