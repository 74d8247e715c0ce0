/** GET /api/session: the nodes, the node the console was started for, and the CSRF token. */
import { version } from '../../shared/version';
import type { SessionView } from '../shared/types';
import type { Route } from './route';

/** The first thing the page asks. */
export const sessionRoute: Route = {
  method: 'GET',
  path: 'session',
  global: true,
  async handle({ pool, csrf, startNode }): Promise<SessionView> {
    return { version: version(), node: startNode, nodes: pool.list(), csrf, configPath: pool.configPath };
  },
};
