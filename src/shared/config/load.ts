/**
 * Shared machinery for the YAML config files: read the first file of a search list, parse YAML
 * with positions in the error, validate with zod and turn the first problems into ONE line that
 * names the key path and what is allowed. Server and client schemas live in server.ts / client.ts.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as yaml from 'js-yaml';
import { z } from 'zod';
import { ConfigError } from '../errors';

/** At most this many problems are spelled out; the rest are counted, so the message stays one line. */
const MAX_LISTED_ISSUES = 3;

/** A config file that was found and read. */
export interface FoundFile {
  path: string;
  text: string;
}

/**
 * Read the config file: the explicit path if given (it must exist), otherwise the first existing
 * file of `candidates`. `explicitFrom` names where an explicit path came from ("--config",
 * "$RNX_CONFIG") so a typo there is reported instead of silently falling back to another file.
 */
export function readFirstConfig(opts: {
  explicit?: { path: string; from: string };
  candidates: string[];
  notFoundHint: string;
}): FoundFile {
  if (opts.explicit) {
    const { path: p, from } = opts.explicit;
    const text = readConfigText(p);
    if (text === undefined) throw new ConfigError(`config file ${p} (from ${from}) does not exist; ${opts.notFoundHint}`);
    return { path: p, text };
  }
  for (const p of opts.candidates) {
    const text = readConfigText(p);
    if (text !== undefined) return { path: p, text };
  }
  throw new ConfigError(`no config file found (searched ${opts.candidates.join(', ')}); ${opts.notFoundHint}`);
}

/** The file's text, or undefined when it does not exist; other read errors become ConfigError. */
function readConfigText(p: string): string | undefined {
  try {
    return fs.readFileSync(p, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    if (code === 'EISDIR') throw new ConfigError(`config file ${p} is a directory, not a file`);
    if (code === 'EACCES') throw new ConfigError(`config file ${p}: permission denied (it holds private keys and is mode 0600; run as its owner)`);
    throw new ConfigError(`config file ${p}: cannot read: ${(err as Error).message}`);
  }
}

/** Parse YAML text; a syntax error becomes "source:line:column: YAML syntax error: reason". */
export function parseYaml(text: string, source: string): unknown {
  let doc: unknown;
  try {
    // CORE_SCHEMA: plain JSON-like types; no timestamps or other implicit conversions of values.
    doc = yaml.load(text, { schema: yaml.CORE_SCHEMA, filename: source });
  } catch (err) {
    if (err instanceof yaml.YAMLException) {
      const where = err.mark ? `:${err.mark.line + 1}:${err.mark.column + 1}` : '';
      throw new ConfigError(`${source}${where}: YAML syntax error: ${err.reason}`);
    }
    throw err;
  }
  if (doc === undefined || doc === null) throw new ConfigError(`${source}: file is empty`);
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigError(`${source}: must be a YAML mapping of keys to values at the top level`);
  return doc;
}

/** Validate a parsed document; any problem becomes a one-line ConfigError prefixed with `source`. */
export function validate<S extends z.ZodTypeAny>(schema: S, doc: unknown, source: string): z.output<S> {
  const result = schema.safeParse(doc, { errorMap: friendlyErrorMap });
  if (result.success) return result.data;
  throw new ConfigError(`${source}: ${formatIssues(result.error.issues, schema, doc)}`);
}

/** Messages for zod's built-in checks, phrased as "what is allowed". Schema-level messages win. */
const friendlyErrorMap: z.ZodErrorMap = (issue, ctx) => {
  // A contextual map runs after the schema's own map: keep a message the schema chose itself.
  if (ctx.defaultError !== z.defaultErrorMap(issue, ctx).message) return { message: ctx.defaultError };
  if (issue.code === 'invalid_type') {
    if (issue.received === 'undefined') return { message: 'is required' };
    return { message: `must be ${article(issue.expected)}` };
  }
  return { message: ctx.defaultError };
};

function article(type: string): string {
  if (type === 'object') return 'a mapping of keys to values';
  if (type === 'array') return 'a list';
  if (type === 'integer') return 'an integer';
  return `a ${type}`;
}

/** Render zod issues as "path: message (got value)" joined with "; ". */
export function formatIssues(issues: z.ZodIssue[], schema: z.ZodTypeAny, doc: unknown): string {
  const parts: string[] = [];
  // Unknown keys first: a misspelt key usually explains the "is required" that follows it.
  const ordered = [...issues].sort((a, b) => Number(b.code === 'unrecognized_keys') - Number(a.code === 'unrecognized_keys'));
  for (const issue of ordered) {
    if (issue.code === 'unrecognized_keys') {
      const allowed = objectKeysAt(schema, issue.path);
      for (const key of issue.keys) {
        const at = joinPath([...issue.path, key]);
        parts.push(`${at}: unknown key${allowed ? ` (allowed: ${allowed.join(', ')})` : ''}`);
      }
      continue;
    }
    const at = issue.path.length > 0 ? joinPath(issue.path) : '(top level)';
    let line = `${at}: ${issue.message}`;
    const showGot = !(issue.code === 'custom' && issue.params?.['noGot']);
    const value = valueAt(doc, issue.path);
    if (showGot && value !== undefined) line += ` (got ${describeValue(value)})`;
    parts.push(line);
  }
  const listed = parts.slice(0, MAX_LISTED_ISSUES).join('; ');
  const more = parts.length - MAX_LISTED_ISSUES;
  return more > 0 ? `${listed}; and ${more} more problem${more === 1 ? '' : 's'}` : listed;
}

function joinPath(path: (string | number)[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/** The value at `path` in the raw document (before defaults), for the "(got …)" part. */
function valueAt(doc: unknown, path: (string | number)[]): unknown {
  let cur: unknown = doc;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[p];
  }
  return cur;
}

/** Short, safe rendering of a value: strings quoted and cut, structures by kind only. */
function describeValue(v: unknown): string {
  if (v === null) return 'an empty value';
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return typeof v;
}

/** The keys the schema allows for the object at `path`, by walking the schema. */
function objectKeysAt(schema: z.ZodTypeAny, path: (string | number)[]): string[] | undefined {
  let cur: z.ZodTypeAny | undefined = unwrap(schema);
  for (const p of path) {
    if (cur instanceof z.ZodObject) cur = (cur.shape as Record<string, z.ZodTypeAny>)[String(p)];
    else if (cur instanceof z.ZodRecord) cur = cur.valueSchema as z.ZodTypeAny;
    else return undefined;
    cur = cur ? unwrap(cur) : undefined;
  }
  return cur instanceof z.ZodObject ? Object.keys(cur.shape as object) : undefined;
}

/** Strip the wrappers (default, optional, refinements, preprocess) around a schema. */
function unwrap(s: z.ZodTypeAny): z.ZodTypeAny {
  for (;;) {
    if (s instanceof z.ZodDefault) s = s._def.innerType;
    else if (s instanceof z.ZodOptional || s instanceof z.ZodNullable) s = s.unwrap();
    else if (s instanceof z.ZodEffects) s = s.innerType();
    else if (s instanceof z.ZodPipeline) s = s._def.in;
    else return s;
  }
}

/** A host and port split out of "HOST:PORT" / "[IPv6]:PORT". */
export interface HostPort {
  host: string;
  port: number;
}

/** Split "HOST:PORT" (IPv6 as "[::1]:PORT"); undefined if malformed or the port is not 1-65535. */
export function parseHostPort(value: string): HostPort | undefined {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:\[\]\s]+)):(\d{1,5})$/.exec(value);
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return undefined;
  if (m[1] !== undefined) return net.isIPv6(m[1]) ? { host: m[1], port } : undefined;
  const host = m[2]!;
  return net.isIPv4(host) || isDnsName(host) ? { host, port } : undefined;
}

/** True for a syntactically valid DNS name (letters, digits, hyphens, dots; labels ≤ 63). */
export function isDnsName(name: string): boolean {
  if (name.length === 0 || name.length > 253) return false;
  return name.split('.').every((l) => /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(l));
}

/** An integer within [min, max] with a message that states the range. */
export function intIn(min: number, max: number, unit = ''): z.ZodNumber {
  const msg = `must be an integer ${min}-${max}${unit}`;
  return z.number({ invalid_type_error: msg }).int(msg).min(min, msg).max(max, msg);
}

/** The `version` key: one of `allowed`, also given as a YAML number ("version: 1", "version: 3.0"). */
export function versionField(allowed: readonly string[]) {
  const msg = `must be ${allowed.map((v) => JSON.stringify(v)).join(' or ')}`;
  return z.preprocess(
    (v) => (typeof v === 'number' ? (Number.isInteger(v) && allowed.includes(`${v}.0`) ? `${v}.0` : String(v)) : v),
    z.string({ invalid_type_error: msg }).refine((v) => allowed.includes(v), msg),
  );
}

/** A PEM text field: required, checked for its BEGIN marker (the value itself is never echoed). */
export function pemField(what: string, marker: RegExp, hint: string) {
  return z
    .string({ required_error: `is required: ${what} in PEM form (${hint})`, invalid_type_error: `must be ${what} in PEM form` })
    .superRefine((v, ctx) => {
      // fatal: the section-level checks (parse the certificates, match the key) must not run on it.
      if (!marker.test(v)) ctx.addIssue({ code: 'custom', fatal: true, message: `must be ${what} in PEM form (no "-----BEGIN …" line found)`, params: { noGot: true } });
    });
}

/** The PEM blocks ("-----BEGIN X-----…-----END X-----") of a text, in order. */
export function pemBlocks(text: string, label: string): string[] {
  const re = new RegExp(`-----BEGIN ${label}-----[\\s\\S]*?-----END ${label}-----`, 'g');
  return text.match(re) ?? [];
}
