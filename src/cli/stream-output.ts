/** Writing a job's log stream to our stdout/stderr, waiting for the terminal when it is slow. */
import { once } from 'node:events';
import type { DataChunk } from '../gen/joblet';

/** Copy chunks to stdout (stream 1) or stderr (2 and joblet's own notices, 3). */
export async function writeChunks(chunks: AsyncIterable<DataChunk>, out: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream }): Promise<void> {
  for await (const c of chunks) {
    const target = c.stream === 2 || c.stream === 3 ? out.stderr : out.stdout;
    // Backpressure: a slow terminal or pipe slows the stream, never our memory.
    if (!target.write(c.payload)) await once(target, 'drain');
  }
}
