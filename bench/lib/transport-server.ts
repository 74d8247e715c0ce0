/**
 * The transport floor: a bare nice-grpc server with the daemon's mutual-TLS settings (same
 * certificates, TLS 1.3, verified client certificates) whose GetJobLogs streams N bytes from
 * memory in 64 KiB chunks. Nothing else: no auth middleware, no job, no file. Run as a child
 * process by transport.ts: `node --import tsx transport-server.ts <joblet-config.yml>`; it prints
 * its port on stdout and serves until killed.
 */
import * as fs from 'node:fs';
import * as yaml from 'js-yaml';
import { createServer } from 'nice-grpc';
import { JobServiceDefinition, type DataChunk, type GetJobLogsRequest } from '../../src/gen/joblet';
import { serverCredentials } from '../../src/daemon/server';

const CHUNK = 64 * 1024;

async function main(): Promise<void> {
  const cfg = yaml.load(fs.readFileSync(process.argv[2]!, 'utf8')) as { security: { serverCert: string; serverKey: string; caCert: string } };
  const opts = { address: '127.0.0.1:0', caCert: cfg.security.caCert, serverCert: cfg.security.serverCert, serverKey: cfg.security.serverKey, maxMessageBytes: 16 * 1024 * 1024 };
  const server = createServer({ 'grpc.max_receive_message_length': opts.maxMessageBytes, 'grpc.max_send_message_length': opts.maxMessageBytes } as Record<string, unknown>);
  const payload = Buffer.alloc(CHUNK, 0);
  // Every other method of the service answers nothing useful; nice-grpc wants them all present.
  const others = Object.fromEntries(Object.keys(JobServiceDefinition.methods).map((m) => [m, async () => Promise.reject(new Error('not served here'))]));
  server.add(JobServiceDefinition, {
    ...others,
    // uuid carries the byte count: "bytes:<n>".
    async *getJobLogs(req: GetJobLogsRequest): AsyncGenerator<DataChunk> {
      const total = Number(req.uuid.replace(/^bytes:/, ''));
      for (let sent = 0; sent < total; sent += CHUNK) yield { payload: sent + CHUNK <= total ? payload : payload.subarray(0, total - sent), stream: 1, offset: sent };
    },
  } as never);
  const port = await server.listen(opts.address, serverCredentials(opts));
  process.stdout.write(`${port}\n`);
}

main().catch((err) => {
  process.stderr.write(`transport-server: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
