/**
 * The shape of one API route and what its handler gets. Each area (jobs, volumes, networks, …)
 * exports its routes from its own file; api/index.ts lists the areas. A route that changes
 * something says `write: true`, and the router refuses it for a read-only node before it runs.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NodePool } from '../../cli/node-pool';
import type { JobsFeed } from './jobs-feed';
import type { RuntimeInstalls } from './runtime-installs';

/** Everything a handler may use. */
export interface RouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** Path parameters (`:id` → params.id), already URL-decoded. */
  params: Record<string, string>;
  /** The node the request is for (the `/api/n/:node/` part); '' for routes outside it. */
  node: string;
  pool: NodePool;
  /** Live jobs lists, one poller per node. */
  feeds: JobsFeed;
  /** Runtime installs started from this console. */
  installs: RuntimeInstalls;
  /** Aborted when the console shuts down. */
  shutdown: AbortSignal;
  /** The CSRF token, for /api/session. */
  csrf: string;
  /** Node the console was started for. */
  startNode: string;
}

/** One route: method, path pattern below /api/n/:node (or below /api when `global`), handler. */
export interface Route {
  method: 'GET' | 'POST' | 'DELETE';
  /** e.g. "jobs/:id/stop". */
  path: string;
  /** Changes something on the node: refused for a read-only node. */
  write?: boolean;
  /** Lives directly under /api (not per node). */
  global?: boolean;
  /** Answers on its own (JSON, a stream); a returned value is sent as JSON 200. */
  handle(ctx: RouteContext): Promise<unknown>;
}

/** Marks a handler that has written its own answer. */
export const HANDLED = Symbol('handled');
