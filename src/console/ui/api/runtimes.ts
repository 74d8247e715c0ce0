/** Runtimes: the list, installs (followed live), the smoke test and removal. */
import type { InstallView, RuntimeTestView, RuntimeView } from '../../shared/types';
import { call, nodeApi } from './core';

/** Every runtime of the node: installed ones and the built-ins available to install. */
export function listRuntimes(node: string): Promise<RuntimeView[]> {
  return call('GET', nodeApi(node, 'runtimes'));
}

/** Start installing a built-in (rnx runtime install [--force]); answers once the server has accepted it. */
export function installRuntime(node: string, name: string, force: boolean): Promise<InstallView> {
  return call('POST', nodeApi(node, `runtimes/${encodeURIComponent(name)}/install`), { force });
}

/** Installs started from this console on the node, running or recently finished. */
export function listInstalls(node: string): Promise<InstallView[]> {
  return call('GET', nodeApi(node, 'runtime-installs'));
}

/** Cancel a running install (the server stops the build and removes what it staged). */
export function cancelInstall(node: string, id: string): Promise<InstallView> {
  return call('POST', nodeApi(node, `runtime-installs/${encodeURIComponent(id)}/cancel`));
}

/** Address of one install's live stream. */
export function installLiveUrl(node: string, id: string): string {
  return nodeApi(node, `live/runtime-installs/${encodeURIComponent(id)}`);
}

/** Run the runtime's smoke test (rnx runtime test) and wait for its result. */
export function testRuntime(node: string, name: string): Promise<RuntimeTestView> {
  return call('POST', nodeApi(node, `runtimes/${encodeURIComponent(name)}/test`));
}

/** Remove a runtime, every version (rnx runtime remove); refused while jobs use it. */
export function removeRuntime(node: string, name: string): Promise<{ removed: string[]; freedBytes: number }> {
  return call('DELETE', nodeApi(node, `runtimes/${encodeURIComponent(name)}`));
}
