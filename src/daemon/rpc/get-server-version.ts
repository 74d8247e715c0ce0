/** ServerInfoService.GetServerVersion: what this server is, for `rnx version`. */
import type { ServerVersionInfo } from '../../gen/joblet';
import { serverVersionInfo } from '../server-version';

/** Handler factory. */
export function getServerVersion() {
  return async (): Promise<ServerVersionInfo> => serverVersionInfo();
}
