/**
 * Entry point: dispatch only. argv[0]'s basename picks the personality (DESIGN §2): `rnx` is the
 * client, anything else is `joblet` (daemon and admin tooling). A hidden first argument runs the
 * sandbox init stage inside a fresh job process. Every branch is a lazy require so that the client
 * never loads koffi or daemon code. In the single executable, src/boot.ts runs first and sends the
 * init stage to its own, much smaller bundle; this file is the entry of everything else.
 */
import * as path from 'node:path';
import { INIT_STAGE_ARG } from './shared/self';

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (argv[0] === INIT_STAGE_ARG) {
    // Never returns on success: the init stage execve()s the job's command.
    const { runInitStage } = require('./sandbox/init') as typeof import('./sandbox/init');
    return runInitStage();
  }
  if (isClient()) {
    // Anything that escapes the command (a bug) is one line too; the stack only with RNX_DEBUG=1.
    const { reportError } = require('./cli/base') as typeof import('./cli/base');
    const crash = (err: unknown) => process.exit(reportError(err, { stderr: process.stderr, env: process.env, program: 'rnx' }));
    process.on('uncaughtException', crash);
    process.on('unhandledRejection', crash);
    const { runClient } = require('./cli/rnx') as typeof import('./cli/rnx');
    return runClient(argv);
  }
  const { runAdmin } = require('./cli/joblet') as typeof import('./cli/joblet');
  return runAdmin(argv);
}

/** Called as rnx (the symlink, or JOBLET_PERSONALITY=rnx)? */
function isClient(): boolean {
  const personality = process.env.JOBLET_PERSONALITY ?? path.basename(invokedAs());
  return personality === 'rnx' || personality.startsWith('rnx');
}

/** The name we were started under: argv0 for a single executable, the script name otherwise. */
function invokedAs(): string {
  const { isSingleExecutable } = require('./shared/self') as typeof import('./shared/self');
  if (isSingleExecutable()) return process.argv0;
  return process.argv[1] ?? process.argv0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (isClient()) {
      const { reportError } = require('./cli/base') as typeof import('./cli/base');
      process.exitCode = reportError(err, { stderr: process.stderr, env: process.env, program: 'rnx' });
      return;
    }
    process.stderr.write(`joblet: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 70;
  },
);
