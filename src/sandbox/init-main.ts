/**
 * Entry of the init stage's own bundle (build.mjs, run by src/boot.ts): only the sandbox code, so
 * a job's init, warm or cold, loads a fraction of what the whole program would.
 */
import { runInitStage } from './init';

runInitStage().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`joblet: internal error in the init stage: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 70;
  },
);
