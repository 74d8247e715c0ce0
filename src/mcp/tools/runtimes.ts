/**
 * Runtime tools: list, info and validate — the same JSON as `rnx runtime list|info|validate
 * --json`. Installing and building stay with `rnx runtime` (minutes of streamed progress, admin).
 */
import { z } from 'zod';
import { runtimeJson } from '../../cli/runtime-format';
import { InvalidArgumentError, NotFoundError } from '../../shared/errors';
import { defineTool, jsonResult, type ToolDef } from '../tool';

/** A runtime.yaml larger than this is refused before it is sent (the server's own limit). */
const MAX_SPEC_BYTES = 256 * 1024;

/** joblet_list_runtimes, joblet_get_runtime_info, joblet_validate_runtime. */
export const runtimeTools: ToolDef[] = [
  defineTool({
    name: 'joblet_list_runtimes',
    title: 'List runtimes',
    description:
      'Language runtimes of the node (Python with NumPy and pandas, Java, Node.js, user-built ones): name, version, aliases, language, size, ' +
      'status (installed, or available to install with `rnx runtime install`) and how many running jobs use each. ' +
      'Pass an installed one as joblet_run_job runtime.',
    input: {},
    write: false,
    async run(_a, ctx) {
      const { runtimes } = await ctx.call((c) => c.runtimes.listRuntimes({}, { signal: ctx.signal }));
      return jsonResult(runtimes.map((r) => runtimeJson(r, false)));
    },
  }),
  defineTool({
    name: 'joblet_get_runtime_info',
    title: 'Runtime details',
    description: 'One runtime in full: the packages it was built from with their versions, every package of its root filesystem, its environment, build information and size.',
    input: { runtime: z.string().min(1).describe('Name (python-3.11-ml), alias (python:3.11-ml) or NAME@VERSION') },
    write: false,
    async run(a, ctx) {
      const res = await ctx.call((c) => c.runtimes.getRuntimeInfo({ runtime: a.runtime }, { signal: ctx.signal }));
      if (!res.found || !res.runtime) throw new NotFoundError(`runtime '${a.runtime}' not found (see joblet_list_runtimes)`);
      return jsonResult(runtimeJson(res.runtime, true));
    },
  }),
  defineTool({
    name: 'joblet_validate_runtime',
    title: 'Check a runtime.yaml',
    description: 'Check a runtime.yaml (schema_version, name, version, base {language, version}, packages, pip, npm, environment, hooks) without building it; each error names its line.',
    input: { runtime_spec: z.string().min(1).describe('The content of the runtime.yaml') },
    write: false,
    async run(a, ctx) {
      const size = Buffer.byteLength(a.runtime_spec);
      if (size > MAX_SPEC_BYTES) throw new InvalidArgumentError(`runtime_spec is ${size} bytes; a runtime.yaml may have at most ${MAX_SPEC_BYTES}`);
      const r = await ctx.call((c) => c.runtimes.validateRuntimeYAML({ yamlContent: a.runtime_spec }, { signal: ctx.signal }));
      return jsonResult({ valid: r.valid, message: r.message, errors: r.errors, warnings: r.warnings, spec: r.specInfo ?? null });
    },
  }),
];
