/**
 * Entry point: dispatch only. argv[0]'s basename picks the personality (DESIGN §2): `rnx` is the
 * client, anything else is `joblet` (daemon and admin tooling). A hidden first argument runs the
 * sandbox init stage inside a fresh job process. Each personality is a part of its own
 * (src/shared/parts.ts), loaded only when chosen: the client never loads koffi or daemon code,
 * and a job's init stage loads neither the daemon nor the client.
 */
import * as path from 'node:path';
import { isBareVersion, printClientVersion } from './cli/version-info';
import { loadPart } from './shared/parts';
import { INIT_STAGE_ARG, isSingleExecutable } from './shared/self';
import { trace, traceExit } from './shared/trace';

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  trace('main');
  traceExit();
  if (argv[0] === INIT_STAGE_ARG) {
    // Never returns on success: the init stage execve()s the job's command.
    const { runInitStage } = loadPart('init') as typeof import('./sandbox/init');
    return runInitStage();
  }
  if (isClient()) {
    // Scripts and package checks call this where no server exists: it needs nothing else loaded.
    if (isBareVersion(argv)) return printClientVersion();
    const { startClient } = loadPart('rnx') as typeof import('./cli/start');
    return startClient(argv);
  }
  const { runAdmin } = loadPart('joblet') as typeof import('./cli/joblet');
  return runAdmin(argv);
}

/** Called as rnx (the symlink, or JOBLET_PERSONALITY=rnx)? */
function isClient(): boolean {
  const personality = process.env.JOBLET_PERSONALITY ?? path.basename(invokedAs());
  return personality === 'rnx' || personality.startsWith('rnx');
}

/** The name we were started under: argv0 for a single executable, the script name otherwise. */
function invokedAs(): string {
  if (isSingleExecutable()) return process.argv0;
  return process.argv[1] ?? process.argv0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`${isClient() ? 'rnx' : 'joblet'}: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 70;
  },
);
