/**
 * A workflow file read with js-yaml, plus where each value is in the text, so that every problem
 * can name the file, the line and the key. js-yaml has no positions in its result; its `listener`
 * option reports each node as it opens and closes, which is enough to rebuild the tree of nodes
 * with their offsets (a mapping's children alternate key, value; a sequence's are its items).
 *
 * The schema is js-yaml's CORE schema (plain JSON-like values: `2026-01-01` stays a string) plus
 * merge keys, so `<<: *defaults` works as YAML users expect.
 */
import * as yaml from 'js-yaml';
import type { Problem } from './problems';

/** A node of the document and where it is: [start, end) offsets into the text, 0-based line of its start. */
interface PosNode {
  kind: string;
  result: unknown;
  start: number;
  end: number;
  line: number;
  children: PosNode[];
}

// js-yaml exports its built-in types at run time; the type definitions do not declare them.
const SCHEMA = yaml.CORE_SCHEMA.extend({ implicit: [(yaml as unknown as { types: { merge: yaml.Type } }).types.merge] });

/** A parsed workflow file. */
export interface YamlDoc {
  /** The file name used in messages ("pipeline.yaml"). */
  file: string;
  text: string;
  /** The parsed document (a mapping). */
  data: Record<string, unknown>;
  /** 1-based line of the key (or item) at `path`, or of its nearest ancestor that has one. */
  lineOf(path: (string | number)[]): number | undefined;
  /** The text with the values at `paths` (scalars) replaced by a mask; other text unchanged. */
  masked(paths: (string | number)[][], mask?: string): string;
}

/** Parse `text`; a syntax error or a document that is not a mapping is returned as a problem. */
export function parseYamlDoc(text: string, file: string): YamlDoc | Problem {
  const stack: PosNode[] = [{ kind: 'root', result: undefined, start: 0, end: text.length, line: 0, children: [] }];
  let balanced = true;
  let data: unknown;
  try {
    data = yaml.load(text, {
      schema: SCHEMA,
      filename: file,
      listener(event, state) {
        if (event === 'open') {
          stack.push({ kind: '', result: undefined, start: state.position, end: state.position, line: state.line, children: [] });
          return;
        }
        const node = stack.pop();
        const parent = stack[stack.length - 1];
        if (!node || !parent) {
          balanced = false;
          return;
        }
        node.kind = state.kind ?? '';
        node.result = state.result;
        node.end = state.position;
        parent.children.push(node);
      },
    });
  } catch (err) {
    if (err instanceof yaml.YAMLException) {
      return { file, line: err.mark ? err.mark.line + 1 : undefined, path: '', message: `YAML syntax error: ${err.reason}` };
    }
    throw err;
  }
  if (data === undefined || data === null) return { file, path: '', message: 'the file is empty: a workflow needs at least `jobs:`' };
  if (typeof data !== 'object' || Array.isArray(data)) return { file, line: 1, path: '', message: 'a workflow file is a YAML mapping (name:, jobs:, …) at the top level' };
  const root = balanced && stack.length === 1 ? stack[0]!.children[0] : undefined;
  return {
    file,
    text,
    data: data as Record<string, unknown>,
    lineOf: (path) => {
      const found = walk(root, path);
      return found ? found.line + 1 : undefined;
    },
    masked: (paths, mask = '"********"') => maskValues(text, root, paths, mask),
  };
}

/** The node at `path` (a mapping's key node stands for its value's line), or the nearest ancestor. */
function walk(root: PosNode | undefined, path: (string | number)[]): { line: number; value?: PosNode } | undefined {
  let cur = root;
  let best: { line: number; value?: PosNode } | undefined = root ? { line: firstContentLine(root), value: root } : undefined;
  for (const seg of path) {
    if (!cur) break;
    const next = child(cur, seg);
    if (!next) break;
    best = { line: next.keyLine, value: next.value };
    cur = next.value;
  }
  return best;
}

/** The line of a node's first character (a block value's open position may sit at the end of its key's line). */
function firstContentLine(n: PosNode): number {
  return n.children[0]?.line ?? n.line;
}

/** The child of a mapping (by key) or a sequence (by index). */
function child(node: PosNode, seg: string | number): { keyLine: number; value: PosNode | undefined } | undefined {
  if (node.kind === 'sequence' && typeof seg === 'number') {
    const item = node.children[seg];
    return item ? { keyLine: firstContentLine(item), value: item } : undefined;
  }
  if (node.kind !== 'mapping') return undefined;
  for (let i = 0; i < node.children.length; i += 2) {
    const key = node.children[i];
    if (!key) break;
    if (String(key.result) === String(seg)) return { keyLine: key.line, value: node.children[i + 1] };
  }
  return undefined;
}

/** Replace the scalar values at `paths` by `mask`, keeping the text around them (and so every line number). */
function maskValues(text: string, root: PosNode | undefined, paths: (string | number)[][], mask: string): string {
  const spans: [number, number][] = [];
  for (const p of paths) {
    const v = walk(root, p);
    if (!v?.value || v.value.kind !== 'scalar' || v.value.end <= v.value.start) continue;
    let start = v.value.start;
    let end = v.value.end;
    // The open position may sit before the blanks after `key:`; a block scalar's span ends after its newline.
    while (start < end && (text[start] === ' ' || text[start] === '\t')) start++;
    while (end > start && /\s/.test(text[end - 1]!)) end--;
    if (end > start) spans.push([start, end]);
  }
  let out = text;
  for (const [start, end] of spans.sort((a, b) => b[0] - a[0])) {
    // A multi-line value (a block scalar) keeps its line breaks, so later lines keep their numbers.
    const breaks = (out.slice(start, end).match(/\n/g) ?? []).length;
    out = out.slice(0, start) + mask + '\n'.repeat(breaks) + out.slice(end);
  }
  return out;
}
