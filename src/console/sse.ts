/**
 * Server-sent events: the live channel from the backend to the page. One stream per page view;
 * writes wait for the socket to drain (a slow browser slows the source, never our memory), a
 * comment every 15 s keeps proxies from closing an idle stream, and `signal` aborts when the
 * browser goes away or the console shuts down.
 */
import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';

const HEARTBEAT_MS = 15_000;

/** An open event stream to one page. */
export class EventStream {
  private readonly controller = new AbortController();
  private readonly heartbeat: NodeJS.Timeout;

  constructor(
    req: IncomingMessage,
    private readonly res: ServerResponse,
    shutdown: AbortSignal,
  ) {
    res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', 'X-Accel-Buffering': 'no' });
    res.flushHeaders();
    const abort = () => this.controller.abort();
    req.socket.once('close', abort);
    res.once('close', abort);
    if (shutdown.aborted) abort();
    else shutdown.addEventListener('abort', abort, { once: true });
    this.heartbeat = setInterval(() => void this.write(': keep-alive\n\n'), HEARTBEAT_MS);
    this.signal.addEventListener('abort', () => {
      clearInterval(this.heartbeat);
      shutdown.removeEventListener('abort', abort);
      if (!res.writableEnded) res.end();
    });
  }

  /** Aborted when the page closed the stream or the console stops. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Send one event; `id` lets a reconnecting browser say where it was (Last-Event-ID). */
  async send(event: string, data: unknown, id?: string): Promise<void> {
    const lines = `${id !== undefined ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    await this.write(lines);
  }

  /** End the stream after a final `end` event (the page closes its EventSource on it, so it does not reconnect). */
  async end(data: unknown = {}): Promise<void> {
    await this.send('end', data);
    this.controller.abort();
  }

  private async write(text: string): Promise<void> {
    if (this.signal.aborted || this.res.writableEnded) return;
    if (!this.res.write(text)) await Promise.race([once(this.res, 'drain'), once(this.signal, 'abort')]);
  }
}
