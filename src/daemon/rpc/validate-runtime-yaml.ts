/** RuntimeService.ValidateRuntimeYAML: check a runtime.yaml; every problem names its line. */
import type { ValidateRuntimeYAMLRequest, ValidateRuntimeYAMLResponse } from '../../gen/joblet';
import type { RuntimeManager } from '../runtimes/manager';

/** Handler factory. */
export function validateRuntimeYaml(runtimes: RuntimeManager) {
  return async (req: ValidateRuntimeYAMLRequest): Promise<ValidateRuntimeYAMLResponse> => {
    const c = runtimes.validate(req.yamlContent);
    const valid = c.errors.length === 0;
    const i = c.info;
    return {
      valid,
      message: valid ? `runtime ${i?.name} ${i?.version} is valid` : `${c.errors.length} problem${c.errors.length > 1 ? 's' : ''} found`,
      errors: c.errors,
      warnings: c.warnings,
      specInfo: i
        ? { name: i.name, version: i.version, language: i.language, languageVersion: i.languageVersion, description: i.description, pipPackages: i.pip, npmPackages: i.npm, hasHooks: i.hasHooks, requiresGpu: i.requiresGpu }
        : undefined,
    };
  };
}
