/**
 * The web console's backend, inside the rnx process: serves the embedded page (assets.ts), the
 * JSON and event-stream API (api/), and talks gRPC to the nodes of the client config through the
 * same client layer as every rnx command — it never runs rnx. Access rules are in security.ts.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError, InvalidArgumentError, JobletError } from '../shared/errors';
import { JobsFeed } from './api/jobs-feed';
import { handleApi } from './api/index';
import { RuntimeInstalls } from './api/runtime-installs';
import { Assets } from './assets';
import { NodePool } from '../cli/node-pool';
import { AccessPolicy, SECURITY_HEADERS, isLoopbackBind, sendRefusal } from './security';

/** How to start the console. */
export interface ConsoleOptions {
  /** --config: the client config (default: rnx's search list). */
  config?: string;
  /** --node: the node shown first (default: the config's default node). */
  node?: string;
  bind: string;
  /** 0 = any free port. */
  port: number;
  /** Access token; required unless bound to loopback. */
  token?: string;
}

/** A running console. */
export interface ConsoleServer {
  /** The address to open (with `?token=` when a token is needed). */
  url: string;
  port: number;
  node: string;
  readOnly: boolean;
  /** Stop serving: ends live streams, closes connections. */
  close(): Promise<void>;
}

/** Start listening; resolves once the port is bound. */
export async function startConsole(opts: ConsoleOptions): Promise<ConsoleServer> {
  if (!opts.token && !isLoopbackBind(opts.bind)) throw new InvalidArgumentError(`--bind ${opts.bind} is reachable from other machines: an access token is required`);
  const pool = new NodePool(opts.config);
  const node = opts.node ?? pool.defaultNode();
  if (node === undefined) throw new ConfigError(`no default node in ${pool.configPath}: pass --node NAME (available: ${pool.list().map((n) => n.name).join(', ')})`);
  pool.node(node);
  const view = pool.list().find((n) => n.name === node)!;
  if (view.problem) throw new ConfigError(`node '${node}' in ${pool.configPath} has ${view.problem}: a client certificate, its key and the server's CA are required (see 'rnx config-help')`);
  const assets = new Assets();
  const feeds = new JobsFeed(pool);
  const shutdown = new AbortController();
  // Ended with the console: closing an install's stream makes the server cancel that build.
  const installs = new RuntimeInstalls(pool, shutdown.signal);
  let policy: AccessPolicy | undefined;

  const server = http.createServer((req, res) => {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v!);
    const verdict = policy!.check(req);
    if (!verdict.ok) {
      if ('redirect' in verdict) {
        res.writeHead(303, { Location: verdict.redirect, 'Set-Cookie': verdict.cookie, 'Cache-Control': 'no-store' });
        res.end();
      } else sendRefusal(req, res, verdict.status, verdict.message);
      return;
    }
    const url = new URL(req.url ?? '/', 'http://console');
    if (url.pathname.startsWith('/api/')) {
      void handleApi({ req, res, url, pool, feeds, installs, shutdown: shutdown.signal, csrf: policy!.csrf, startNode: node });
      return;
    }
    serveAsset(assets, req, res, url.pathname);
  });
  // A live stream stays open for hours; only idle keep-alive sockets should time out.
  server.requestTimeout = 0;
  server.headersTimeout = 30_000;

  await listen(server, opts);
  const port = (server.address() as AddressInfo).port;
  policy = new AccessPolicy({ bind: opts.bind, port, token: opts.token });
  const host = opts.bind.includes(':') ? `[${opts.bind}]` : opts.bind;
  return {
    url: `http://${host}:${port}/${opts.token ? `?token=${opts.token}` : ''}`,
    port,
    node,
    readOnly: view.readOnly,
    async close() {
      shutdown.abort();
      feeds.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      pool.close();
    },
  };
}

function listen(server: http.Server, opts: ConsoleOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') reject(new InvalidArgumentError(`port ${opts.port} is already in use on ${opts.bind}: pass --port N (0 picks a free one)`));
      else if (err.code === 'EADDRNOTAVAIL') reject(new InvalidArgumentError(`--bind ${opts.bind}: this machine has no such address`));
      else if (err.code === 'EACCES') reject(new InvalidArgumentError(`port ${opts.port} needs privileges on ${opts.bind}: use a port above 1023`));
      else reject(new JobletError('INTERNAL', `cannot listen on ${opts.bind}:${opts.port}: ${err.message}`));
    });
    server.listen(opts.port, opts.bind, () => resolve());
  });
}

function serveAsset(assets: Assets, req: http.IncomingMessage, res: http.ServerResponse, pathname: string): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    sendRefusal(req, res, 405, `${req.method} is not allowed here`);
    return;
  }
  const asset = assets.get(pathname === '/' ? 'index.html' : pathname.slice(1));
  if (!asset) {
    sendRefusal(req, res, 404, `nothing here: ${pathname}`);
    return;
  }
  const headers: http.OutgoingHttpHeaders = { 'Content-Type': asset.type, ETag: asset.etag, 'Cache-Control': 'no-cache', Vary: 'Accept-Encoding' };
  if (req.headers['if-none-match'] === asset.etag) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  const gzip = /\bgzip\b/.test(req.headers['accept-encoding'] ?? '');
  const body = gzip ? asset.gzip : asset.body;
  res.writeHead(200, { ...headers, 'Content-Length': body.length, ...(gzip ? { 'Content-Encoding': 'gzip' } : {}) });
  res.end(req.method === 'HEAD' ? undefined : body);
}
