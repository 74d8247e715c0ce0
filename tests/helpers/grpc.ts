/**
 * Direct gRPC access for integration tests: mutual-TLS channels built from PEMs (as rnx builds
 * them), every service definition, and one function that calls any RPC and reports the status it
 * ended with — so tests can sweep the whole API without knowing each method's shape.
 */
import * as fs from 'node:fs';
import * as tls from 'node:tls';
import * as yaml from 'js-yaml';
import { ChannelCredentials } from '@grpc/grpc-js';
import { ClientError, Metadata, Status, createChannel, createClient, type Channel } from 'nice-grpc';
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
} from '../../src/gen/joblet';

/** Every service of the public API, as generated from proto/joblet.proto. */
export const SERVICES = [
  JobServiceDefinition,
  NetworkServiceDefinition,
  VolumeServiceDefinition,
  MonitoringServiceDefinition,
  RuntimeServiceDefinition,
  JobTransferServiceDefinition,
  ServerInfoServiceDefinition,
  ScheduleServiceDefinition,
  WorkflowServiceDefinition,
] as const;

/** One generated service definition. */
export type ServiceDef = (typeof SERVICES)[number];

/** One RPC: its service, the key nice-grpc clients use, and its wire name. */
export interface Rpc {
  service: ServiceDef;
  key: string;
  name: string;
  requestStream: boolean;
  responseStream: boolean;
}

/** Every RPC of every service. */
export function allRpcs(): Rpc[] {
  return SERVICES.flatMap((service) =>
    Object.entries(service.methods).map(([key, m]) => ({ service, key, name: m.name, requestStream: m.requestStream, responseStream: m.responseStream })),
  );
}

/** TLS material of one client; cert/key may be absent to test refusals. */
export interface Pems {
  ca: string;
  cert?: string;
  key?: string;
}

/** Address and PEMs of one node of an rnx-config.yml. */
export function nodePems(rnxConfigPath: string, node: string): Pems & { address: string } {
  const cfg = yaml.load(fs.readFileSync(rnxConfigPath, 'utf8')) as { nodes: Record<string, Pems & { address: string }> };
  const n = cfg.nodes[node];
  if (!n) throw new Error(`no node '${node}' in ${rnxConfigPath}`);
  return n;
}

/** Write an rnx-config.yml with one node, "default", for running rnx with crafted credentials. */
export function writeClientConfig(file: string, address: string, pems: Partial<Pems>): void {
  const node: Record<string, string> = { address };
  for (const k of ['cert', 'key', 'ca'] as const) if (pems[k]) node[k] = pems[k]!;
  fs.writeFileSync(file, yaml.dump({ version: '1', nodes: { default: node } }), { mode: 0o600 });
}

/** A mutual-TLS channel like rnx opens (TLS 1.3, server name "joblet"); `options` adds channel options. */
export function openChannel(address: string, pems: Pems, options: Record<string, unknown> = {}): Channel {
  const context = tls.createSecureContext({ ca: pems.ca, cert: pems.cert, key: pems.key, minVersion: 'TLSv1.3' });
  return createChannel(address, ChannelCredentials.createFromSecureContext(context), {
    'grpc.ssl_target_name_override': 'joblet',
    'grpc.default_authority': 'joblet',
    ...options,
  });
}

/** How a call ended: OK (with the response of a unary call), or the status and message the server (or transport) gave. */
export interface CallOutcome {
  code: Status;
  details: string;
  response?: unknown;
}

/**
 * Call `rpc` with `request` (an empty message when omitted) and report how it ended. Streaming
 * requests send `stream` (or the one `request`, or nothing); streaming responses count as OK once
 * the first message arrives, so a stream that would follow forever cannot hang the test.
 */
export async function callRpc(
  channel: Channel,
  rpc: Rpc,
  opts: { request?: unknown; stream?: unknown[]; metadata?: Record<string, string>; timeoutMs?: number } = {},
): Promise<CallOutcome> {
  const method = rpc.service.methods[rpc.key as keyof ServiceDef['methods']] as { requestType: { fromPartial(o: object): unknown } };
  const request = method.requestType.fromPartial((opts.request ?? {}) as object);
  const messages = opts.stream ?? (opts.request !== undefined ? [opts.request] : []);
  const client = createClient(rpc.service as ServiceDef, channel) as unknown as Record<string, (req: unknown, o: object) => unknown>;
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), opts.timeoutMs ?? 15000);
  const callOpts = { metadata: Metadata(opts.metadata ?? {}), signal: ac.signal };
  const arg = rpc.requestStream
    ? (async function* () {
        for (const m of messages) yield method.requestType.fromPartial(m as object);
      })()
    : request;
  try {
    const res = client[rpc.key]!(arg, callOpts);
    if (rpc.responseStream) {
      for await (const _ of res as AsyncIterable<unknown>) break;
      return { code: Status.OK, details: '' };
    }
    return { code: Status.OK, details: '', response: await res };
  } catch (err) {
    if (err instanceof ClientError) return { code: err.code, details: err.details };
    if (ac.signal.aborted) return { code: Status.DEADLINE_EXCEEDED, details: `no answer in ${opts.timeoutMs ?? 15000} ms` };
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/** Short form of an outcome for assertion messages. */
export function show(o: CallOutcome): string {
  return `${Status[o.code]}: ${o.details}`;
}

export { Status };
