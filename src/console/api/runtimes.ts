/**
 * Runtimes: the list (in the `rnx runtime list --json` form), the smoke test and removal — one RPC
 * each. Installing streams for minutes and lives in runtime-installs.ts.
 */
import { runtimeJson } from '../../cli/runtime-format';
import type { RuntimeTestView, RuntimeView } from '../shared/types';
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
  {
    // The smoke test runs as a job of the caller and answers when it has ended (seconds; a JVM's longer).
    method: 'POST',
    path: 'runtimes/:name/test',
    write: true,
    async handle({ pool, node, params, res, feeds }): Promise<RuntimeTestView> {
      const controller = new AbortController();
      // A page that goes away stops waiting (the test job itself runs to its end, in the jobs list).
      res.once('close', () => controller.abort());
      const r = await pool.call(node, (c) => c.runtimes.testRuntime({ runtime: params.name! }, { signal: controller.signal }));
      feeds.poke(node);
      return { runtime: params.name!, success: r.success, output: r.output, error: r.error, exitCode: r.exitCode, jobId: r.jobUuid };
    },
  },
  {
    method: 'DELETE',
    path: 'runtimes/:name',
    write: true,
    async handle({ pool, node, params }) {
      const r = await pool.call(node, (c) => c.runtimes.removeRuntime({ runtime: params.name! }));
      return { removed: r.removed, freedBytes: r.freedSpaceBytes };
    },
  },
];
