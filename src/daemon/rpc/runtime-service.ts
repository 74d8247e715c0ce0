/** The RuntimeService handlers, one file each, gathered for server.ts. */
import type { JobManager } from '../jobs/manager';
import type { RuntimeManager } from '../runtimes/manager';
import { buildRuntime } from './build-runtime';
import { getRuntimeInfo } from './get-runtime-info';
import { installRuntime } from './install-runtime';
import { listRuntimes } from './list-runtimes';
import { removeRuntime } from './remove-runtime';
import { testRuntime } from './test-runtime';
import { validateRuntimeYaml } from './validate-runtime-yaml';

/** Implementation of RuntimeService. */
export function runtimeService(runtimes: RuntimeManager, jobs: JobManager) {
  return {
    listRuntimes: listRuntimes(runtimes),
    getRuntimeInfo: getRuntimeInfo(runtimes),
    testRuntime: testRuntime(runtimes, jobs),
    removeRuntime: removeRuntime(runtimes),
    buildRuntime: buildRuntime(runtimes),
    validateRuntimeYAML: validateRuntimeYaml(runtimes),
    installRuntime: installRuntime(runtimes),
  };
}
