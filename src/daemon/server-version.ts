/**
 * What this daemon is and which build: for ServerInfoService.GetServerVersion (`rnx version`) and
 * the server_version field of GetSystemStatus, so both always say the same.
 */
import * as os from 'node:os';
import type { ServerVersionInfo } from '../gen/joblet';
import { buildDate, commit, version } from '../shared/version';

/** This daemon's version and build. */
export function serverVersionInfo(): ServerVersionInfo {
  return {
    version: version(),
    gitCommit: commit(),
    // The build knows its commit, not whether a tag points at it.
    gitTag: '',
    buildDate: buildDate(),
    component: 'joblet',
    // The field is named for the original's Go toolchain; ours is the Node runtime.
    goVersion: `node ${process.version}`,
    platform: `${process.platform}/${process.arch}`,
    protoCommit: '',
    protoTag: 'v2.5.9',
    nodeVersion: process.version,
    hostname: os.hostname(),
  };
}
