/**
 * `${VAR}` templates in a workflow's texts, filled from the workflow's environment (its top-level
 * `environment:`, with values given at run time taking precedence). `$${VAR}` is a literal
 * `${VAR}`; a bare `$VAR` is left alone for the job's shell. A template naming a variable the
 * workflow does not define is a problem, never an empty string.
 */

const TEMPLATE = /\$(\$?)\{([^}]*)\}/g;
const VAR = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Fill the templates of `s`; throws an Error naming the first undefined or malformed variable. */
export function fillTemplate(s: string, vars: Record<string, string>): string {
  return s.replace(TEMPLATE, (whole, escaped: string, name: string) => {
    if (escaped) return whole.slice(1);
    if (!VAR.test(name)) throw new Error(`'\${${name}}' is not a variable name (letters, digits and _; write $\${…} for a literal \${…})`);
    if (!Object.hasOwn(vars, name)) {
      const known = Object.keys(vars);
      throw new Error(`\${${name}} is not defined in the workflow's environment (${known.length ? `defined: ${known.join(', ')}` : 'it defines none'}); add it under environment: or pass it with --env ${name}=…`);
    }
    return vars[name]!;
  });
}
