/**
 * runtime.yml: the manifest beside each installed runtime's root filesystem
 * (`<stateDir>/runtimes/<name>/<version>/{runtime.yml,rootfs/}`). Written once, by the build,
 * before the directory is renamed into place; read at start-up and by `rnx runtime info`.
 */
import * as fs from 'node:fs';
import * as yaml from 'js-yaml';
import { z } from 'zod';
import { LANGUAGES } from './recipes';

const smokeFile = z.object({ path: z.string(), content: z.string() }).strict();

const manifestSchema = z
  .object({
    schema: z.literal(1),
    name: z.string(),
    version: z.string(),
    language: z.enum(LANGUAGES),
    languageVersion: z.string(),
    description: z.string(),
    builtin: z.boolean(),
    aliases: z.array(z.string()),
    environment: z.record(z.string()),
    requirements: z.object({ architectures: z.array(z.string()), gpu: z.boolean() }).strict(),
    /** The packages asked for, with the versions installed. */
    packages: z.array(z.object({ name: z.string(), version: z.string() }).strict()),
    /** Every package in the root filesystem: name → version. */
    installed: z.record(z.string()),
    libraries: z.array(z.string()),
    sizeBytes: z.number().int().nonnegative(),
    build: z
      .object({
        builtAt: z.string(),
        builtWith: z.string(),
        platform: z.string(),
        archive: z.array(z.string()),
        durationMs: z.number().int().nonnegative(),
        joblet: z.string(),
      })
      .strict(),
    smokeTest: z.object({ command: z.string(), args: z.array(z.string()), files: z.array(smokeFile) }).strict(),
    originalYaml: z.string().optional(),
  })
  .strict();

/** The content of runtime.yml. */
export type Manifest = z.infer<typeof manifestSchema>;

/** File name of the manifest in a runtime's directory. */
export const MANIFEST_FILE = 'runtime.yml';

/** Serializes a manifest (with a header saying where it came from). */
export function renderManifest(m: Manifest): string {
  const body = yaml.dump(m, { lineWidth: 120, noRefs: true, sortKeys: false });
  return `# joblet runtime manifest, written by the build of ${m.name} ${m.version} on ${m.build.builtAt}. Do not edit.\n${body}`;
}

/** Parses a manifest; throws Error naming the first problem. */
export function parseManifest(text: string): Manifest {
  const doc = yaml.load(text, { schema: yaml.CORE_SCHEMA });
  const r = manifestSchema.safeParse(doc);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new Error(`${i.path.join('.') || '(top level)'}: ${i.message}`);
  }
  return r.data;
}

/** Reads and parses `file`. */
export function readManifest(file: string): Manifest {
  return parseManifest(fs.readFileSync(file, 'utf8'));
}
