/**
 * The bench's own in-process gRPC client: mutual TLS from an rnx config file, the JobService and
 * NetworkService clients. Independent of the CLI's modules on purpose: the bench measures the
 * daemon, and the same client code serves the transport-floor server (transport.ts).
 */
import * as fs from 'node:fs';
import * as tls from 'node:tls';
import { ChannelCredentials } from '@grpc/grpc-js';
import * as yaml from 'js-yaml';
import { createChannel, createClientFactory } from 'nice-grpc';
import { JobServiceDefinition, NetworkServiceDefinition, type JobServiceClient, type NetworkServiceClient } from '../../src/gen/joblet';

/** Clients of one server. */
export interface BenchClient {
  jobs: JobServiceClient;
  networks: NetworkServiceClient;
  close(): void;
}

/** The default node of an rnx config. */
export function readNode(rnxConfig: string): { address: string; cert: string; key: string; ca: string } {
  const doc = yaml.load(fs.readFileSync(rnxConfig, 'utf8')) as { nodes: Record<string, { address: string; cert: string; key: string; ca: string }> };
  return doc.nodes.default!;
}

/** A client of the default node of `rnxConfig`, or of that node's credentials at `address`. */
export function benchClient(rnxConfig: string, address?: string): BenchClient {
  const node = readNode(rnxConfig);
  const context = tls.createSecureContext({ ca: node.ca, cert: node.cert, key: node.key, minVersion: 'TLSv1.3' });
  const channel = createChannel(address ?? node.address, ChannelCredentials.createFromSecureContext(context, { rejectUnauthorized: true }), {
    'grpc.ssl_target_name_override': 'joblet',
    'grpc.default_authority': 'joblet',
    'grpc.max_receive_message_length': 64 * 1024 * 1024,
  });
  const factory = createClientFactory();
  return { jobs: factory.create(JobServiceDefinition, channel), networks: factory.create(NetworkServiceDefinition, channel), close: () => channel.close() };
}
