/**
 * Requirements: when a workflow job may start. A requirement is `job: STATUS` or an expression:
 *
 *     expr    := and ( OR and )*                 OR binds weaker than AND
 *     and     := primary ( AND primary )*
 *     primary := ( expr ) | NAME = STATUS | NAME IN ( STATUS, … )
 *
 * STATUS is a terminal job state — COMPLETED, FAILED, CANCELED, STOPPED — or FINISHED (any of
 * them). Keywords and states are case-insensitive. Evaluation is three-valued: a requirement is
 * met (true), can never be met (false: the jobs it names have ended otherwise), or not known yet
 * (undefined: a job it names has not ended), so a job whose requirement fails is canceled at
 * once instead of waiting forever.
 */

/** States a requirement may name (FINISHED stands for all four). */
export const REQUIREMENT_STATES = ['COMPLETED', 'FAILED', 'CANCELED', 'STOPPED'] as const;

/** One of REQUIREMENT_STATES. */
export type EndState = (typeof REQUIREMENT_STATES)[number];

/** A parsed requirement. */
export type Requirement =
  | { op: 'is'; job: string; states: EndState[] }
  | { op: 'and' | 'or'; items: Requirement[] };

/** A requirement as written plus its parse, for display and evaluation. */
export interface RequirementSpec {
  /** As the user wrote it: "extract: COMPLETED" or the expression text. */
  text: string;
  req: Requirement;
}

/** How a job referenced by a requirement stands: its state, and whether it is final. */
export interface JobState {
  status: string;
  final: boolean;
}

const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*/;
const KEYWORDS = new Set(['AND', 'OR', 'IN']);

/** Is `name` usable as a job name in requirements (not a keyword)? */
export function isKeyword(name: string): boolean {
  return KEYWORDS.has(name.toUpperCase());
}

/** A requirement state from text: COMPLETED… or FINISHED (→ all). Throws a message listing the allowed ones. */
export function parseEndStates(text: string): EndState[] {
  const s = text.trim().toUpperCase();
  if (s === 'FINISHED') return [...REQUIREMENT_STATES];
  if ((REQUIREMENT_STATES as readonly string[]).includes(s)) return [s as EndState];
  throw new Error(`'${text}' is not a state a requirement can wait for; use COMPLETED, FAILED, CANCELED, STOPPED or FINISHED (any of them)`);
}

/** Parse an expression; throws an Error whose message says where and what was expected. */
export function parseExpression(text: string): Requirement {
  const tokens = tokenize(text);
  let i = 0;
  const peek = () => tokens[i];
  const expect = (what: string): string => {
    const t = tokens[i];
    if (t === undefined) throw new Error(`expected ${what} at the end of '${text}'`);
    i++;
    return t;
  };
  const keyword = (k: string) => peek()?.toUpperCase() === k;

  const orExpr = (): Requirement => {
    const items = [andExpr()];
    while (keyword('OR')) {
      i++;
      items.push(andExpr());
    }
    return items.length === 1 ? items[0]! : { op: 'or', items };
  };
  const andExpr = (): Requirement => {
    const items = [primary()];
    while (keyword('AND')) {
      i++;
      items.push(primary());
    }
    return items.length === 1 ? items[0]! : { op: 'and', items };
  };
  const primary = (): Requirement => {
    const t = expect('a job name or (');
    if (t === '(') {
      const inner = orExpr();
      if (expect(')') !== ')') throw new Error(`missing ')' in '${text}'`);
      return inner;
    }
    if (!NAME.test(t) || isKeyword(t)) throw new Error(`expected a job name at '${t}' in '${text}'`);
    const op = expect(`= or IN after '${t}'`);
    if (op === '=' || op === '==') return { op: 'is', job: t, states: parseEndStates(expect(`a state after '${t} ='`)) };
    if (op.toUpperCase() === 'IN') {
      if (expect(`( after '${t} IN'`) !== '(') throw new Error(`expected '(' after '${t} IN' in '${text}'`);
      const states = new Set<EndState>();
      for (;;) {
        for (const s of parseEndStates(expect('a state'))) states.add(s);
        const sep = expect(', or )');
        if (sep === ')') break;
        if (sep !== ',') throw new Error(`expected ',' or ')' at '${sep}' in '${text}'`);
      }
      return { op: 'is', job: t, states: [...states] };
    }
    throw new Error(`expected '=' or 'IN' after '${t}', got '${op}' in '${text}'`);
  };

  if (tokens.length === 0) throw new Error('the expression is empty');
  const req = orExpr();
  if (i < tokens.length) throw new Error(`unexpected '${tokens[i]}' in '${text}' (join conditions with AND or OR)`);
  return req;
}

function tokenize(text: string): string[] {
  const out: string[] = [];
  let rest = text;
  for (;;) {
    rest = rest.replace(/^\s+/, '');
    if (!rest) return out;
    const op = /^(==|=|\(|\)|,)/.exec(rest);
    const word = op ? undefined : NAME.exec(rest);
    const t = op?.[0] ?? word?.[0];
    if (!t) throw new Error(`unexpected character '${rest[0]}' in '${text}'`);
    out.push(t);
    rest = rest.slice(t.length);
  }
}

/** Every job name a requirement refers to, in order of appearance, once each. */
export function referencedJobs(req: Requirement, out: string[] = []): string[] {
  if (req.op === 'is') {
    if (!out.includes(req.job)) out.push(req.job);
  } else for (const r of req.items) referencedJobs(r, out);
  return out;
}

/** Met (true), never met (false) or not known yet (undefined), given the jobs' states. */
export function evaluate(req: Requirement, state: (job: string) => JobState | undefined): boolean | undefined {
  if (req.op === 'is') {
    const s = state(req.job);
    if (!s || !s.final) return undefined;
    return (req.states as string[]).includes(s.status);
  }
  let unknown = false;
  for (const r of req.items) {
    const v = evaluate(r, state);
    if (v === undefined) unknown = true;
    else if (req.op === 'and' && v === false) return false;
    else if (req.op === 'or' && v === true) return true;
  }
  return unknown ? undefined : req.op === 'and';
}

/** All requirements of a job together (they must all hold). */
export function evaluateAll(reqs: RequirementSpec[], state: (job: string) => JobState | undefined): { met: boolean | undefined; failed?: RequirementSpec } {
  let unknown = false;
  for (const r of reqs) {
    const v = evaluate(r.req, state);
    if (v === false) return { met: false, failed: r };
    if (v === undefined) unknown = true;
  }
  return { met: unknown ? undefined : true };
}

/** Does the requirement accept `job` ending in `status` somewhere (so that outcome is expected)? */
export function accepts(req: Requirement, job: string, status: EndState): boolean {
  if (req.op === 'is') return req.job === job && req.states.includes(status);
  return req.items.some((r) => accepts(r, job, status));
}

/** "'a=COMPLETED OR b=FAILED' can no longer be met: a is FAILED, b is CANCELED". */
export function unmetReason(r: RequirementSpec, state: (job: string) => JobState | undefined): string {
  const jobs = referencedJobs(r.req).map((j) => `${j} is ${state(j)?.status ?? 'unknown'}`);
  return `requirement '${r.text}' can no longer be met: ${jobs.join(', ')}`;
}
