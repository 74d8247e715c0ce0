/**
 * Entry point of the client-only executables (dist/clients/rnx-<os>-<arch>): always rnx, whatever
 * the file is called (rnx.exe on Windows). It carries only the `rnx` part (src/shared/parts.ts):
 * nothing of the daemon, the sandbox or koffi, so the same sources build for macOS and Windows.
 */
import { isBareVersion, printClientVersion } from './cli/version-info';
import { loadPart } from './shared/parts';
import { trace, traceExit } from './shared/trace';

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  trace('main');
  traceExit();
  // Scripts and package checks call this where no server exists: it needs nothing else loaded.
  if (isBareVersion(argv)) return printClientVersion();
  const { startClient } = loadPart('rnx') as typeof import('./cli/start');
  return startClient(argv);
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`rnx: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 70;
  },
);
