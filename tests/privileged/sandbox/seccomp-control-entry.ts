/**
 * Init entry for the seccomp tests' control runs: the same init stage, without the seccomp
 * filter, so a probe can show that its refusal comes from the filter and not from a missing
 * capability. Only seccomp.test.ts bundles it; the product's entry (src/main.ts) has no such path.
 */
import { runInitStage } from '../../../src/sandbox/init';
import { INIT_STAGE_ARG } from '../../../src/shared/self';

if (process.argv[2] === INIT_STAGE_ARG) {
  runInitStage({ seccomp: false }).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`seccomp-control-entry: ${String(err)}\n`);
      process.exitCode = 70;
    },
  );
} else {
  process.stderr.write(`seccomp-control-entry: expected ${INIT_STAGE_ARG}\n`);
  process.exitCode = 2;
}
