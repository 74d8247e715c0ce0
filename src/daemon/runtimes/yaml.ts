/**
 * A user's runtime.yaml (the schema of the original's "Runtime Builder Guide"): parsed and checked
 * as hostile input. Every problem names its line; unknown keys are errors, not ignored; names
 * cannot leave the runtimes directory; package, pip and npm entries are plain names (they end up
 * as arguments of apt, pip and npm, never as shell text); hooks are scripts, run inside the build
 * sandbox and chrooted into the runtime being built.
 */
import * as yaml from 'js-yaml';
import { formatDuration, parseDuration } from '../../shared/limits';
import { DEFAULT_HOOK_TIMEOUT_MS, LANGUAGES, languageBase, type BuildPlan, type Language } from './recipes';
import { indexLines, lineOf, type LineIndex } from './yaml-lines';

/** What ValidateRuntimeYAML reports about a document. */
export interface YamlInfo {
  name: string;
  version: string;
  language: string;
  languageVersion: string;
  description: string;
  pip: string[];
  npm: string[];
  hasHooks: boolean;
  requiresGpu: boolean;
}

/** The outcome: errors and warnings ("line N: path: message"), and the plan when there are no errors. */
export interface YamlCheck {
  errors: string[];
  warnings: string[];
  info?: YamlInfo;
  plan?: BuildPlan;
}

/** Largest runtime.yaml accepted. */
export const MAX_YAML_BYTES = 256 * 1024;

/** Runtime names: they become a directory name, so no '/', no leading '.', no '..'. */
export const RUNTIME_NAME = /^[a-z0-9](?:[a-z0-9-]|\.(?!\.)){0,63}$/;
const SEMVER = /^\d{1,6}\.\d{1,6}\.\d{1,6}$/;
/** Debian package, optionally =version or /suite. */
const DEB_PACKAGE = /^[a-z0-9][a-z0-9+.-]{0,99}(?:=[A-Za-z0-9.+~:-]{1,100}|\/[a-z0-9.-]{1,60})?$/;
const PIP_PACKAGE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}(?:\[[A-Za-z0-9,._-]{1,100}\])?(?:(?:===|==|!=|<=|>=|~=|<|>)[A-Za-z0-9.*+!-]{1,50}(?:,(?:===|==|!=|<=|>=|~=|<|>)[A-Za-z0-9.*+!-]{1,50})*)?$/;
const NPM_PACKAGE = /^(?:@[a-z0-9][a-z0-9._-]{0,100}\/)?[a-z0-9][a-z0-9._-]{0,100}(?:@[A-Za-z0-9.^~<>=*|+-]{1,60})?$/;
const PIP_OPTION = /^(?:--?[A-Za-z0-9][A-Za-z0-9-]{0,60}(?:=[A-Za-z0-9:/._=+@%-]{1,300})?|[A-Za-z0-9:/._=+@%-]{1,300})$/;
const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const LIBRARY = /^[A-Za-z0-9*?._+-]{1,100}$/;
const LANGUAGE_VERSION: Record<Language, RegExp> = { python: /^3\.\d{1,2}$/, java: /^\d{1,3}$/, node: /^\d{1,3}$/, go: /^1\.\d{1,3}$/, rust: /^1\.\d{1,3}$/ };
const MAX_HOOK_BYTES = 64 * 1024;
const MAX_LIST = 500;

const TOP_KEYS = ['schema_version', 'name', 'version', 'description', 'base', 'packages', 'pip', 'pip_options', 'npm', 'environment', 'requirements', 'platforms', 'libraries', 'hooks'];

type Doc = Record<string, unknown>;

/** Checks `text`; `builtinNames` are names a user runtime may not take, `platform` is this host's ("debian-12-amd64"). */
export function checkRuntimeYaml(text: string, ctx: { builtinNames: Set<string>; platform: string }): YamlCheck {
  const errors: string[] = [];
  const warnings: string[] = [];
  if (Buffer.byteLength(text) > MAX_YAML_BYTES) return { errors: [`runtime.yaml is ${Buffer.byteLength(text)} bytes; at most ${MAX_YAML_BYTES}`], warnings };
  let doc: unknown;
  try {
    doc = yaml.load(text, { schema: yaml.CORE_SCHEMA, json: false });
  } catch (err) {
    if (err instanceof yaml.YAMLException) return { errors: [`line ${(err.mark?.line ?? 0) + 1}: YAML syntax error: ${err.reason}`], warnings };
    throw err;
  }
  if (doc === null || doc === undefined) return { errors: ['runtime.yaml is empty'], warnings };
  if (typeof doc !== 'object' || Array.isArray(doc)) return { errors: ['line 1: runtime.yaml must be a mapping of keys to values at the top level'], warnings };
  const lines = indexLines(text);
  const v = new Checker(doc as Doc, lines, errors, warnings, text);
  const plan = v.run(ctx);
  const d = doc as Doc;
  const info: YamlInfo = {
    name: str(d.name),
    version: str(d.version),
    language: str(obj(d.base).language),
    languageVersion: str(obj(d.base).version),
    description: str(d.description),
    pip: strList(d.pip),
    npm: strList(d.npm),
    hasHooks: Object.keys(obj(d.hooks)).some((k) => k !== 'timeout'),
    requiresGpu: obj(d.requirements).gpu === true,
  };
  // Checks run key by key; the reader wants the file's order.
  byLine(errors);
  byLine(warnings);
  return errors.length === 0 ? { errors, warnings, info, plan } : { errors, warnings, info };
}

/** Sort "line N: …" messages by N in place (stable; messages without a line first). */
function byLine(messages: string[]): void {
  const line = (m: string) => Number(/^line (\d+)/.exec(m)?.[1] ?? 0);
  messages.sort((a, b) => line(a) - line(b));
}

class Checker {
  constructor(
    private readonly d: Doc,
    private readonly lines: LineIndex,
    private readonly errors: string[],
    private readonly warnings: string[],
    private readonly text: string,
  ) {}

  private at(path: string): string {
    const line = lineOf(this.lines, path);
    return `${line === undefined ? '' : `line ${line}: `}${path}`;
  }

  private err(path: string, msg: string): void {
    this.errors.push(`${this.at(path)}: ${msg}`);
  }

  private warn(path: string, msg: string): void {
    this.warnings.push(`${this.at(path)}: ${msg}`);
  }

  private unknownKeys(path: string, value: Doc, allowed: string[]): void {
    for (const k of Object.keys(value)) {
      if (!allowed.includes(k)) this.err(path ? `${path}.${k}` : k, `unknown key (allowed: ${allowed.join(', ')})`);
    }
  }

  private string(path: string, value: unknown, opts: { required?: boolean; max: number; re?: RegExp; rule?: string }): string | undefined {
    if (value === undefined || value === null) {
      if (opts.required) this.err(path, 'is required');
      return undefined;
    }
    if (typeof value !== 'string') {
      this.err(path, `must be a string${typeof value === 'number' ? ` (quote it: "${String(value)}")` : ''}`);
      return undefined;
    }
    if (value.includes('\0')) this.err(path, 'contains a NUL byte');
    else if (value.length > opts.max) this.err(path, `is too long (${value.length} characters; at most ${opts.max})`);
    else if (opts.re && !opts.re.test(value)) this.err(path, opts.rule ?? 'has an invalid form');
    else return value;
    return undefined;
  }

  private list(path: string, value: unknown, re: RegExp, rule: string): string[] {
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) {
      this.err(path, 'must be a list');
      return [];
    }
    if (value.length > MAX_LIST) this.err(path, `has ${value.length} entries; at most ${MAX_LIST}`);
    const out: string[] = [];
    value.forEach((item, i) => {
      const s = this.string(`${path}[${i}]`, typeof item === 'number' ? String(item) : item, { max: 200, re, rule });
      if (s !== undefined) out.push(s);
    });
    return out;
  }

  private mapping(path: string, value: unknown): Doc | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'object' || Array.isArray(value)) {
      this.err(path, 'must be a mapping of keys to values');
      return undefined;
    }
    return value as Doc;
  }

  run(ctx: { builtinNames: Set<string>; platform: string }): BuildPlan | undefined {
    const d = this.d;
    this.unknownKeys('', d, TOP_KEYS);
    const schema = d.schema_version;
    if (schema === undefined) this.err('schema_version', 'is required: schema_version: "1.0"');
    else if (schema !== '1.0' && schema !== 1) this.err('schema_version', `must be "1.0" (got ${JSON.stringify(schema)})`);
    const name = this.string('name', d.name, { required: true, max: 64, re: RUNTIME_NAME, rule: 'must be 1-64 characters of a-z, 0-9, "-" and ".", starting with a letter or digit, without ".." (it names a directory)' });
    if (name && ctx.builtinNames.has(name)) this.err('name', `'${name}' is a built-in runtime: install it with 'rnx runtime install ${name}', or give yours another name`);
    const version = this.string('version', d.version, { required: true, max: 20, re: SEMVER, rule: 'must be a version X.Y.Z, e.g. "1.0.0"' });
    const description = this.string('description', d.description, { required: true, max: 256 });
    const base = this.mapping('base', d.base);
    if (d.base === undefined) this.err('base', 'is required: base: {language: python, version: "3.11"}');
    let language: Language | undefined;
    let languageVersion: string | undefined;
    if (base) {
      this.unknownKeys('base', base, ['language', 'version']);
      const lang = this.string('base.language', base.language, { required: true, max: 20 });
      if (lang !== undefined) {
        if ((LANGUAGES as readonly string[]).includes(lang)) language = lang as Language;
        else this.err('base.language', `must be one of ${LANGUAGES.join(', ')} (got "${lang}")`);
      }
      languageVersion = this.languageVersion(base.version, language);
    }
    const packages = this.list('packages', d.packages, DEB_PACKAGE, 'must be a distribution package name, optionally =VERSION (e.g. python3-requests, curl=7.88.1-10+deb12u5)');
    const pip = this.list('pip', d.pip, PIP_PACKAGE, 'must be a pip requirement such as numpy or numpy==1.26.2');
    const npm = this.list('npm', d.npm, NPM_PACKAGE, 'must be an npm package such as lodash or lodash@4.17.21');
    const pipOptionsText = this.string('pip_options', d.pip_options, { max: 1000 });
    const pipOptions = (pipOptionsText ?? '').split(/\s+/).filter(Boolean);
    pipOptions.forEach((o) => {
      if (!PIP_OPTION.test(o)) this.err('pip_options', `option '${o.slice(0, 60)}' is not allowed: options are words of letters, digits and -_./:=+@%`);
    });
    if (pip.length > 0 && language !== 'python') this.err('pip', 'pip packages need base.language python');
    if (npm.length > 0 && language !== 'node') this.err('npm', 'npm packages need base.language node');
    const environment = this.environment(d.environment);
    this.requirements(d.requirements);
    const platforms = this.list('platforms', d.platforms, /^[a-z0-9]+-[a-z0-9]+$/, 'must be OS-ARCH, e.g. ubuntu-amd64');
    const arch = ctx.platform.split('-').pop() ?? '';
    if (platforms.length > 0 && !platforms.some((p) => p.endsWith(`-${arch}`))) this.warn('platforms', `none of the listed platforms is this server's architecture (${arch}); building anyway`);
    const libraries = this.list('libraries', d.libraries, LIBRARY, 'must be a file-name pattern such as libopenblas*');
    const hooks = this.hooks(d.hooks);
    if (this.errors.length > 0 || !name || !version || description === undefined || !language || !languageVersion) return undefined;
    const lang = languageBase(language, languageVersion);
    const extra = [...(pip.length ? ['python3-pip'] : []), ...(npm.length ? ['npm'] : [])];
    return {
      name,
      version,
      description,
      language,
      languageVersion,
      builtin: false,
      aliases: [],
      ...lang,
      packages: [...new Set([...lang.packages, ...extra, ...packages])],
      environment: { ...lang.environment, ...(npm.length ? { NODE_PATH: '/usr/local/lib/node_modules' } : {}), ...environment },
      pip,
      pipOptions,
      npm,
      hooks,
      libraries,
      originalYaml: this.text,
    };
  }

  private languageVersion(value: unknown, language: Language | undefined): string | undefined {
    if (value === undefined || value === null) {
      this.err('base.version', 'is required, e.g. "3.11", "17", "18"');
      return undefined;
    }
    let v: string;
    if (typeof value === 'number') {
      v = String(value);
      // YAML reads 3.10 as the number 3.1: refuse rather than build the wrong Python.
      const raw = this.text.split('\n')[(lineOf(this.lines, 'base.version') ?? 0) - 1] ?? '';
      const token = /version:\s*([0-9.]+)/.exec(raw)?.[1];
      if (token !== undefined && token !== v) {
        this.err('base.version', `YAML reads ${token} as the number ${v}: quote it ("${token}")`);
        return undefined;
      }
    } else if (typeof value === 'string') v = value;
    else {
      this.err('base.version', 'must be a version such as "3.11" or "17"');
      return undefined;
    }
    if (language && !LANGUAGE_VERSION[language].test(v)) {
      const examples: Record<Language, string> = { python: '"3.11"', java: '"17"', node: '"18"', go: '"1.19"', rust: '"1.63"' };
      this.err('base.version', `'${v.slice(0, 20)}' is not a ${language} version; use e.g. ${examples[language]}`);
      return undefined;
    }
    return v;
  }

  private environment(value: unknown): Record<string, string> {
    const env = this.mapping('environment', value);
    const out: Record<string, string> = {};
    if (!env) return out;
    const entries = Object.entries(env);
    if (entries.length > 200) this.err('environment', `has ${entries.length} variables; at most 200`);
    for (const [k, raw] of entries) {
      const path = `environment.${k}`;
      if (!ENV_KEY.test(k)) {
        this.err(path, 'is not a valid variable name: letters, digits and _, not starting with a digit');
        continue;
      }
      if (k === 'JOB_ID') {
        this.err(path, 'JOB_ID is set by joblet and cannot be set by a runtime');
        continue;
      }
      const s = this.string(path, typeof raw === 'number' || typeof raw === 'boolean' ? String(raw) : raw, { max: 4096 });
      if (s !== undefined) out[k] = s;
    }
    return out;
  }

  private requirements(value: unknown): void {
    const r = this.mapping('requirements', value);
    if (!r) return;
    this.unknownKeys('requirements', r, ['gpu', 'cuda_version', 'min_memory']);
    if (r.gpu !== undefined && typeof r.gpu !== 'boolean') this.err('requirements.gpu', 'must be true or false');
    if (r.gpu === true) this.err('requirements.gpu', 'GPU runtimes are not supported by this server (it has no GPU support)');
    if (r.cuda_version !== undefined) this.string('requirements.cuda_version', r.cuda_version, { max: 20, re: /^\d+(\.\d+)*$/, rule: 'must be a version such as "12.2"' });
    if (r.min_memory !== undefined) this.string('requirements.min_memory', typeof r.min_memory === 'number' ? String(r.min_memory) : r.min_memory, { max: 20, re: /^\d+(\.\d+)?\s*[KMGT]?B?$/i, rule: 'must be a size such as 2GB' });
  }

  private hooks(value: unknown): BuildPlan['hooks'] {
    const h = this.mapping('hooks', value);
    const out: BuildPlan['hooks'] = { timeoutMs: DEFAULT_HOOK_TIMEOUT_MS };
    if (!h) return out;
    this.unknownKeys('hooks', h, ['timeout', 'pre_install', 'post_install']);
    if (h.timeout !== undefined) {
      const t = this.string('hooks.timeout', h.timeout, { max: 20 });
      if (t !== undefined) {
        try {
          out.timeoutMs = parseDuration('hooks.timeout', t, 6 * 3600_000);
        } catch (err) {
          this.err('hooks.timeout', `${(err as Error).message.replace(/^hooks\.timeout:?\s*/, '')} (e.g. 20m, at most ${formatDuration(6 * 3600_000)})`);
        }
      }
    }
    for (const [key, field] of [['pre_install', 'preInstall'], ['post_install', 'postInstall']] as const) {
      const s = this.string(`hooks.${key}`, h[key], { max: MAX_HOOK_BYTES });
      if (s !== undefined && s.trim()) out[field] = s;
    }
    return out;
  }
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '';
}

function obj(v: unknown): Doc {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Doc) : {};
}

function strList(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}
