/**
 * The only gRPC entry point of rnx: a mutual-TLS channel to one node, typed clients, and the one
 * function that turns a gRPC failure into a clear message (the inverse of the daemon's
 * middleware/errors.ts). Connection failures are diagnosed locally where we can say more than
 * the TLS stack does: an expired certificate, one from another CA, a daemon that is not running.
 */
import * as tls from 'node:tls';
import { ChannelCredentials } from '@grpc/grpc-js';
import { ClientError, Status, createChannel, createClientFactory, type Channel } from 'nice-grpc';
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
  type WorkflowServiceClient,
  type JobServiceClient,
  type ScheduleServiceClient,
  type JobTransferServiceClient,
  type MonitoringServiceClient,
  type NetworkServiceClient,
  type RuntimeServiceClient,
  type ServerInfoServiceClient,
  type VolumeServiceClient,
} from '../gen/joblet';
import { loadClientConfig, resolveNode, type NodeConfig } from '../shared/config/client';
import { ConfigError, JobletError, type ErrorCode } from '../shared/errors';
import { trace } from '../shared/trace';

/** Typed clients of one node. */
export interface Connection {
  node: NodeConfig;
  configPath: string;
  jobs: JobServiceClient;
  transfer: JobTransferServiceClient;
  networks: NetworkServiceClient;
  volumes: VolumeServiceClient;
  runtimes: RuntimeServiceClient;
  info: ServerInfoServiceClient;
  schedules: ScheduleServiceClient;
  /** The channel itself, for clients of services a command creates on demand (the console's feature probes). */
  channel: Channel;
  monitoring: MonitoringServiceClient;
  workflows: WorkflowServiceClient;
  close(): void;
}

/** Open a connection to the node chosen by --config/--node. */
export function connect(opts: { config?: string; node?: string; env?: NodeJS.ProcessEnv }): Connection {
  const { config, path } = loadClientConfig(opts.config, opts.env);
  const node = resolveNode(config, opts.node);
  trace('config read');
  if (!node.cert || !node.key || !node.ca) {
    const missing = [!node.cert && 'cert', !node.key && 'key', !node.ca && 'ca'].filter(Boolean).join(', ');
    throw new ConfigError(`node '${node.name}' in ${path} has no ${missing}: a client certificate, its key and the server's CA are required (see 'rnx config-help')`);
  }
  // rejectUnauthorized is explicit: NODE_TLS_REJECT_UNAUTHORIZED=0 in the environment must not turn
  // verification off.
  const context = tls.createSecureContext({ ca: node.ca, cert: node.cert, key: node.key, minVersion: 'TLSv1.3' });
  const channel: Channel = createChannel(node.address, ChannelCredentials.createFromSecureContext(context, { rejectUnauthorized: true }), {
    // Every joblet server certificate carries the name "joblet", whatever address it is reached by.
    'grpc.ssl_target_name_override': 'joblet',
    'grpc.default_authority': 'joblet',
    'grpc.max_receive_message_length': 64 * 1024 * 1024,
  });
  const factory = createClientFactory();
  const conn: Connection = {
    node,
    configPath: path,
    jobs: factory.create(JobServiceDefinition, channel),
    transfer: factory.create(JobTransferServiceDefinition, channel),
    networks: factory.create(NetworkServiceDefinition, channel),
    volumes: factory.create(VolumeServiceDefinition, channel),
    runtimes: factory.create(RuntimeServiceDefinition, channel),
    info: factory.create(ServerInfoServiceDefinition, channel),
    schedules: factory.create(ScheduleServiceDefinition, channel),
    channel,
    monitoring: factory.create(MonitoringServiceDefinition, channel),
    workflows: factory.create(WorkflowServiceDefinition, channel),
    close: () => channel.close(),
  };
  return conn;
}

const CODE: Partial<Record<Status, ErrorCode>> = {
  [Status.INVALID_ARGUMENT]: 'INVALID_ARGUMENT',
  [Status.NOT_FOUND]: 'NOT_FOUND',
  [Status.ALREADY_EXISTS]: 'ALREADY_EXISTS',
  [Status.FAILED_PRECONDITION]: 'FAILED_PRECONDITION',
  [Status.PERMISSION_DENIED]: 'PERMISSION_DENIED',
  [Status.UNAUTHENTICATED]: 'UNAUTHENTICATED',
  [Status.UNIMPLEMENTED]: 'UNIMPLEMENTED',
  [Status.RESOURCE_EXHAUSTED]: 'RESOURCE_EXHAUSTED',
};

/** Turn a failed call into a JobletError with a message for the user. */
export function explain(err: unknown, conn: Connection): unknown {
  if (!(err instanceof ClientError)) return err;
  const code = CODE[err.code];
  if (code) return new JobletError(code, err.details);
  if (err.code === Status.UNAVAILABLE) return new JobletError('UNAVAILABLE', diagnoseUnavailable(err.details, conn));
  // A deadline the server enforced (an idle upload) says why; the transport's own says nothing.
  if (err.code === Status.DEADLINE_EXCEEDED && err.details && !/^Deadline exceeded/i.test(err.details)) return new JobletError('DEADLINE_EXCEEDED', err.details);
  if (err.code === Status.DEADLINE_EXCEEDED) return new JobletError('UNAVAILABLE', `joblet at ${conn.node.address} did not answer in time`);
  return new JobletError('INTERNAL', err.details || `call failed with status ${Status[err.code]}`);
}

/** Say why a connection failed, checking our own certificate when TLS is to blame. */
function diagnoseUnavailable(details: string, conn: Connection): string {
  const where = `joblet at ${conn.node.address} (node '${conn.node.name}')`;
  if (/ECONNREFUSED/.test(details)) return `cannot reach ${where}: connection refused — is the daemon running ('joblet serve')?`;
  if (/ENOTFOUND|EAI_AGAIN/.test(details)) return `cannot reach ${where}: the host name does not resolve`;
  if (/ETIMEDOUT|EHOSTUNREACH|ENETUNREACH/.test(details)) return `cannot reach ${where}: ${details}`;
  if (/unable to verify|self[- ]signed|local issuer|UNABLE_TO_GET_ISSUER|CERT_SIGNATURE_FAILURE/i.test(details)) {
    return `the server at ${conn.node.address} presented a certificate that is not signed by the CA in ${conn.configPath}; is this the right server and config? (${details})`;
  }
  const own = checkOwnCertificate(conn.node);
  if (own) return `the server refused the connection: ${own}`;
  if (/certificate|handshake|SSL|TLS|alert|ECONNRESET|socket hang up|Connection dropped|closed/i.test(details)) {
    return `TLS connection to ${where} failed: the server did not accept our client certificate, or is not signed by the CA in ${conn.configPath} (${details})`;
  }
  return `cannot reach ${where}: ${details}`;
}

/** A problem with our own certificate that explains a refusal, or undefined. */
function checkOwnCertificate(node: NodeConfig): string | undefined {
  try {
    // Parsed only here, to explain a refused connection: loading node:crypto's X.509 costs every start.
    const { X509Certificate } = require('node:crypto') as typeof import('node:crypto');
    const cert = new X509Certificate(node.cert!);
    const now = Date.now();
    if (Date.parse(cert.validTo) < now) return `our client certificate expired on ${new Date(cert.validTo).toISOString()} — get a new one ('joblet init' on the server)`;
    if (Date.parse(cert.validFrom) > now) return `our client certificate is not valid before ${new Date(cert.validFrom).toISOString()}`;
    const ca = new X509Certificate(node.ca!);
    if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) {
      return `our client certificate (issuer "${cert.issuer.replace(/\n/g, ', ')}") is not signed by this node's CA — use the rnx-config.yml that 'joblet init' made for this server`;
    }
  } catch (err) {
    return `our client certificate cannot be read: ${(err as Error).message}`;
  }
  return undefined;
}
