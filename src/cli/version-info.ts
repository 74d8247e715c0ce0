/**
 * What `rnx version` says about one side (this client, or the server). Kept apart from the
 * command so that `rnx --version` can print the client's line without loading the CLI: it is
 * answered before anything else is loaded (src/main.ts, src/client.ts).
 */
import * as os from 'node:os';
import { commit, version } from '../shared/version';

/** One side's version as `rnx version --json` prints it. */
export interface SideJson {
  program: string;
  version: string;
  commit: string;
  nodeVersion: string;
  platform: string;
}

/** This client's side. */
export function clientSide(): SideJson {
  return { program: 'rnx', version: version(), commit: commit(), nodeVersion: process.version, platform: `${os.platform()}/${os.arch()}` };
}

/** "rnx 0.1.0 (commit abc1234, node v24.21.0, linux/x64)". */
export function sideLine(s: SideJson): string {
  return `${s.program} ${s.version} (commit ${s.commit || 'unknown'}, node ${s.nodeVersion || 'unknown'}, ${s.platform || 'unknown platform'})`;
}

/** Is argv exactly `--version` or `-v`: the client's version only, which needs nothing else loaded? */
export function isBareVersion(argv: readonly string[]): boolean {
  return argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v');
}

/** Print what `rnx --version` prints; returns the exit code. */
export function printClientVersion(stdout: NodeJS.WritableStream = process.stdout): number {
  // A closed pipe (`rnx --version | true`) is no error worth a stack trace.
  stdout.on('error', () => undefined);
  stdout.write(`Client: ${sideLine(clientSide())}\n`);
  return 0;
}
