/** Runtimes: the list, in the `rnx runtime list --json` form. Installing stays with rnx (minutes of progress). */
import { runtimeJson } from '../../cli/runtime-format';
import type { RuntimeView } from '../shared/types';
import type { Route } from './route';

/** Routes of the runtimes page. */
export const runtimeRoutes: Route[] = [
  {
    method: 'GET',
    path: 'runtimes',
    async handle({ pool, node }): Promise<RuntimeView[]> {
      const { runtimes } = await pool.call(node, (c) => c.runtimes.listRuntimes({}));
      return runtimes.map((r) => runtimeJson(r, false));
    },
  },
];
