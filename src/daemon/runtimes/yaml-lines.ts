/**
 * Line numbers for paths in a YAML document ("base.version" → 7, "pip[2]" → 14), so that every
 * problem in a runtime.yaml can say where it is. A line-oriented index of block mappings and
 * sequences, the shape runtime.yaml files have; flow collections and multi-line scalars count as
 * the line of their key. A path it cannot place falls back to its nearest placed ancestor.
 */

/** Path (dotted keys, [n] for sequence items) → 1-based line. */
export type LineIndex = Map<string, number>;

interface Frame {
  /** Column of the key, or of the content after "- " for a sequence item. */
  indent: number;
  path: string;
  /** Column of the "-" when this frame is a sequence item. */
  dash?: number;
  /** Next item number of the sequence under this frame. */
  seq: number;
}

/** Builds the index for `text`. */
export function indexLines(text: string): LineIndex {
  const index: LineIndex = new Map();
  const stack: Frame[] = [{ indent: -1, path: '', seq: 0 }];
  const top = () => stack[stack.length - 1]!;
  let blockIndent = -1; // inside a block scalar (|, >): lines indented deeper belong to it
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    if (/^\s*(#.*)?$/.test(raw)) continue;
    const indent = raw.length - raw.trimStart().length;
    if (blockIndent >= 0) {
      if (indent > blockIndent) continue;
      blockIndent = -1;
    }
    if (/^(---|\.\.\.)\s*$/.test(raw)) continue;
    let rest = raw.slice(indent);
    let col = indent;
    // "- " items, possibly "- key: value" (a mapping inside the item) or "- - x".
    while (rest.startsWith('- ') || rest === '-') {
      while (stack.length > 1 && (top().dash !== undefined ? top().dash! >= col : top().indent > col)) stack.pop();
      const seq = top();
      const itemPath = `${seq.path}[${seq.seq++}]`;
      index.set(itemPath, i + 1);
      rest = rest.slice(1).trimStart();
      const content = raw.length - rest.length;
      stack.push({ indent: content, dash: col, path: itemPath, seq: 0 });
      col = content;
      if (rest === '') break;
    }
    const m = /^("(?:[^"\\]|\\.)*"|'[^']*'|[^\s:#'"\[{][^:#]*?)\s*:(\s|$)(.*)$/.exec(rest);
    if (!m) continue;
    const key = m[1]!.replace(/^["']|["']$/g, '');
    while (stack.length > 1 && (top().indent > col || (top().indent === col && top().dash === undefined))) stack.pop();
    const parent = top();
    const p = parent.path ? `${parent.path}.${key}` : key;
    index.set(p, i + 1);
    const value = m[3]!.trim();
    if (/^[|>][0-9+-]*\s*(#.*)?$/.test(value)) blockIndent = col;
    stack.push({ indent: col, path: p, seq: 0 });
  }
  return index;
}

/** The line of `path`, or of its nearest indexed ancestor; undefined when none is indexed. */
export function lineOf(index: LineIndex, path: string): number | undefined {
  let p = path;
  for (;;) {
    const line = index.get(p);
    if (line !== undefined) return line;
    const cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
    if (cut <= 0) return undefined;
    p = p.slice(0, cut);
  }
}
