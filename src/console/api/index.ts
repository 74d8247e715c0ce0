/**
 * Every route of the console's API and the dispatch to them. Node-scoped routes live under
 * /api/n/<node>/…; a route marked `write` is refused for a read-only node before it runs (the
 * server would refuse it too). Adding an area is one import and one spread below.
 */
import { JobletError, NotFoundError } from '../../shared/errors';
import { sendError, sendJson } from '../http';
import { featuresRoute } from './features';
import { jobLiveRoute, logDownloadRoute } from './job-live';
import { jobMetricsLiveRoute } from './job-metrics';
import { jobRoutes } from './jobs';
import { jobsFeedRoute } from './jobs-feed';
import { monitoringLiveRoute } from './monitoring';
import { resourceRoutes } from './resources';
import { runtimeInstallRoutes } from './runtime-install-routes';
import { runtimeRoutes } from './runtimes';
import { HANDLED, type Route, type RouteContext } from './route';
import { runRoute } from './run';
import { scheduleRoutes } from './schedules';
import { sessionRoute } from './session';
import { workflowRoutes } from './workflows';

/** All routes, most specific first where patterns overlap. */
export const ROUTES: Route[] = [sessionRoute, featuresRoute, jobsFeedRoute, jobMetricsLiveRoute, jobLiveRoute, monitoringLiveRoute, logDownloadRoute, runRoute, ...jobRoutes, ...resourceRoutes, ...scheduleRoutes, ...workflowRoutes, ...runtimeRoutes, ...runtimeInstallRoutes];

/** Match `/api/…` against the routes; fills params and node. */
function match(method: string, pathname: string): { route: Route; params: Record<string, string>; node: string } | 'wrong-method' | undefined {
  const parts = pathname.split('/').slice(2); // '' and 'api'
  let node = '';
  let rest = parts;
  if (parts[0] === 'n' && parts.length >= 3) {
    node = decode(parts[1]!);
    rest = parts.slice(2);
  }
  let methodMismatch = false;
  for (const route of ROUTES) {
    if (!!route.global !== (node === '')) continue;
    const params = matchPath(route.path.split('/'), rest);
    if (!params) continue;
    if (route.method !== method) {
      methodMismatch = true;
      continue;
    }
    return { route, params, node };
  }
  return methodMismatch ? 'wrong-method' : undefined;
}

/** Path parameters if `parts` fits `pattern` (":name" matches any non-empty part). */
function matchPath(pattern: string[], parts: string[]): Record<string, string> | undefined {
  if (pattern.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, p] of pattern.entries()) {
    const part = parts[i]!;
    if (p.startsWith(':') && part !== '') params[p.slice(1)] = decode(part);
    else if (p !== part) return undefined;
  }
  return params;
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new JobletError('INVALID_ARGUMENT', `malformed URL component '${s}'`);
  }
}

/** Serve one API request. */
export async function handleApi(ctx: Omit<RouteContext, 'params' | 'node'>): Promise<void> {
  const { req, res, url } = ctx;
  try {
    const m = match(req.method ?? 'GET', url.pathname);
    if (m === 'wrong-method') {
      sendJson(res, 405, { error: { code: 'INVALID_ARGUMENT', message: `${req.method} is not allowed on ${url.pathname}` } });
      return;
    }
    if (!m) throw new NotFoundError(`no such API: ${url.pathname}`);
    if (m.route.write) ctx.pool.requireWrite(m.node);
    const value = await m.route.handle({ ...ctx, params: m.params, node: m.node });
    if (value !== HANDLED) sendJson(res, 200, value);
  } catch (err) {
    sendError(res, err);
  }
}
