/**
 * ServerInfoService.GetServerVersion: what this server is, for `rnx version` (and for the
 * server_version field of GetSystemStatus once monitoring fills it).
 */
import * as os from 'node:os';
import type { ServerVersionInfo } from '../../gen/joblet';
import { commit, version } from '../../shared/version';

/** This daemon's version and build. */
export function serverVersionInfo(): ServerVersionInfo {
  return {
    version: version(),
    gitCommit: commit(),
    gitTag: '',
    buildDate: '',
    component: 'joblet',
    goVersion: '',
    platform: `${process.platform}/${process.arch}`,
    protoCommit: '',
    protoTag: 'v2.5.9',
    nodeVersion: process.version,
    hostname: os.hostname(),
  };
}

/** Handler factory. */
export function getServerVersion() {
  return async (): Promise<ServerVersionInfo> => serverVersionInfo();
}
