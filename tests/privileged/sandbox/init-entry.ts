/**
 * Entry of the test bundle the sandbox tests spawn as "self": the init stage only. (src/main.ts
 * also dispatches to CLI modules that other parts of the tree provide.)
 */
import { runInitStage } from '../../../src/sandbox/init';
import { INIT_STAGE_ARG } from '../../../src/shared/self';

if (process.argv[2] === INIT_STAGE_ARG) {
  runInitStage().then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`init-entry: ${String(err)}\n`);
      process.exitCode = 70;
    },
  );
} else {
  process.stderr.write(`init-entry: expected ${INIT_STAGE_ARG}\n`);
  process.exitCode = 2;
}
