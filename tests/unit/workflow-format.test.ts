/**
 * The workflow file format on its own: YAML positions in every problem, the strict schema with the
 * allowed keys, templates, requirements (expressions, three-valued evaluation), cycles named,
 * named workflows and single jobs, defaults, and secret values masked without moving any line.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { evaluate, evaluateAll, parseExpression, type JobState } from '../../src/shared/workflow/expression';
import { findCycles, levels, runOrder } from '../../src/shared/workflow/dag';
import { buildPlan, planJobAlone, secretPaths, selectorKind, splitSelector } from '../../src/shared/workflow/plan';
import { formatProblem, problemsMessage, type Problem } from '../../src/shared/workflow/problems';
import { fillTemplate } from '../../src/shared/workflow/template';
import { parseYamlDoc, type YamlDoc } from '../../src/shared/workflow/yaml';

function doc(text: string, file = 'p.yaml'): YamlDoc {
  const d = parseYamlDoc(text, file);
  if ('message' in d) throw new Error(formatProblem(d));
  return d;
}

function problems(text: string, opts: { workflowName?: string; env?: Record<string, string> } = {}): string[] {
  return buildPlan(doc(text), opts).problems.map(formatProblem);
}

test('YAML syntax errors and non-mappings name the file and the line', () => {
  const bad = parseYamlDoc('jobs:\n  a:\n    command: [oops\n', 'p.yaml') as Problem;
  assert.ok('message' in bad);
  assert.match(formatProblem(bad), /^p\.yaml:\d+: YAML syntax error: /);
  assert.is(formatProblem(parseYamlDoc('- a\n- b\n', 'p.yaml') as Problem), 'p.yaml:1: a workflow file is a YAML mapping (name:, jobs:, …) at the top level');
  assert.match(formatProblem(parseYamlDoc('', 'p.yaml') as Problem), /^p\.yaml: the file is empty/);
});

test('unknown keys list the allowed ones, with the line of the key; types and ranges say what is allowed', () => {
  const text = [
    'name: x', //                         1
    'jobs:', //                           2
    '  a:', //                            3
    '    command: echo', //               4
    '    resources:', //                  5
    '      max_memry: 64', //             6
    '      max_cpu: -4', //               7
    '    retries: {count: 1, backof: 5s}', // 8
    '    comand: oops', //                9
    '  b:', //                            10
    '    args: [x]', //                   11
    'jbos: {}', //                        12
  ].join('\n');
  const p = problems(text);
  assert.equal(p, [
    "p.yaml:6: jobs.a.resources.max_memry: unknown key (allowed: max_cpu, max_memory, max_io_bps, max_iobps, cpu_cores, max_pids, max_disk, gpu_count, gpu_memory_mb)",
    "p.yaml:7: jobs.a.resources.max_cpu: must be 0 (the server's default) or a whole number 1-409600 (percent of one core) (got -4)",
    'p.yaml:8: jobs.a.retries.backof: unknown key (allowed: count, backoff, exponential)',
    'p.yaml:9: jobs.a.comand: unknown key (allowed: runtime, network, volumes, resources, environment, secret_environment, workdir, retries, timeout, allow_failure, command, args, description, uploads, requires)',
    'p.yaml:10: jobs.b.command: is required: the program the job runs',
    'p.yaml:12: jbos: unknown key (allowed: name, description, environment, secret_environment, defaults, on_failure, jobs, version, workflows)',
  ]);
});

test('requirements: unknown jobs are named with the jobs that exist; cycles are named a → b → a', () => {
  const text = `jobs:
  a:
    command: x
    requires: [{c: COMPLETED}]
  b:
    command: x
    requires:
      - expression: "a = COMPLETED AND nope = FAILED"
  c:
    command: x
    requires: [{b: FINISHED}]
  d:
    command: x
    requires: [{d: COMPLETED}]
`;
  const p = problems(text);
  assert.ok(p.includes("p.yaml:8: jobs.b.requires[0]: job 'nope' does not exist in this workflow (its jobs: a, b, c, d)"), p.join('\n'));
  assert.ok(p.some((l) => /^p\.yaml:4: jobs\.a\.requires: dependency cycle: a → c → b → a;/.test(l)), p.join('\n'));
  assert.ok(p.some((l) => /^p\.yaml:14: jobs\.d\.requires: dependency cycle: d → d;/.test(l)), p.join('\n'));
  const states = problems('jobs:\n  a: {command: x}\n  b:\n    command: x\n    requires: [{a: RUNNING}]\n');
  assert.equal(states, ["p.yaml:5: jobs.b.requires[0].a: 'RUNNING' is not a state a requirement can wait for; use COMPLETED, FAILED, CANCELED, STOPPED or FINISHED (any of them)"]);
  const shape = problems('jobs:\n  a: {command: x}\n  b:\n    command: x\n    requires: [a, {a: COMPLETED, b: FAILED}]\n');
  assert.equal(shape.length, 2);
  assert.match(shape[0]!, /jobs\.b\.requires\[0\]: must be one JOB: STATUS .* \(got "a"\)/);
});

test('expressions: =, IN, AND, OR, parentheses, case-insensitive; errors say where', () => {
  const r = parseExpression('(a = completed AND b in (FAILED, stopped)) or c==FINISHED');
  assert.equal(r, {
    op: 'or',
    items: [
      { op: 'and', items: [{ op: 'is', job: 'a', states: ['COMPLETED'] }, { op: 'is', job: 'b', states: ['FAILED', 'STOPPED'] }] },
      { op: 'is', job: 'c', states: ['COMPLETED', 'FAILED', 'CANCELED', 'STOPPED'] },
    ],
  });
  // OR binds weaker than AND.
  assert.equal(parseExpression('a=FAILED OR b=FAILED AND c=FAILED').op, 'or');
  for (const [bad, msg] of [
    ['a = COMPLETED b = FAILED', /unexpected 'b'.*join conditions with AND or OR/],
    ['a = DONE', /'DONE' is not a state/],
    ['(a = COMPLETED', /expected \) at the end/],
    ['a IN COMPLETED', /expected '\(' after 'a IN'/],
    ['AND = COMPLETED', /expected a job name at 'AND'/],
    ['a ! COMPLETED', /unexpected character '!'/],
    ['', /empty/],
  ] as const) {
    assert.throws(() => parseExpression(bad), msg, bad);
  }
});

test('evaluation is three-valued: met, never, or not known yet', () => {
  const s = (m: Record<string, [string, boolean]>) => (j: string): JobState | undefined => (m[j] ? { status: m[j]![0], final: m[j]![1] } : undefined);
  const e = parseExpression('a=COMPLETED OR b=FAILED');
  assert.is(evaluate(e, s({ a: ['RUNNING', false], b: ['FAILED', true] })), true, 'one side holds');
  assert.is(evaluate(e, s({ a: ['RUNNING', false], b: ['COMPLETED', true] })), undefined, 'a may still complete');
  assert.is(evaluate(e, s({ a: ['FAILED', true], b: ['COMPLETED', true] })), false, 'neither can hold any more');
  const and = parseExpression('a=COMPLETED AND b=COMPLETED');
  assert.is(evaluate(and, s({ a: ['FAILED', true], b: ['PENDING', false] })), false, 'one side failed: never, at once');
  const all = evaluateAll([{ text: 'a: COMPLETED', req: { op: 'is', job: 'a', states: ['COMPLETED'] } }, { text: 'b: FAILED', req: { op: 'is', job: 'b', states: ['FAILED'] } }], s({ a: ['COMPLETED', true], b: ['COMPLETED', true] }));
  assert.is(all.met, false);
  assert.is(all.failed?.text, 'b: FAILED');
});

test('the graph: cycles each once, a run order that respects every edge, levels', () => {
  const edges = new Map([['a', []], ['b', ['a']], ['c', ['a']], ['d', ['b', 'c']], ['e', ['d']]]);
  const nodes = ['e', 'd', 'c', 'b', 'a'];
  const order = runOrder(nodes, edges);
  for (const [n, deps] of edges) for (const d of deps) assert.ok(order.indexOf(d) < order.indexOf(n), `${d} before ${n}`);
  assert.equal([...levels(nodes, edges)].sort(), [['a', 1], ['b', 2], ['c', 2], ['d', 3], ['e', 4]]);
  assert.equal(findCycles(['x', 'y', 'z'], new Map([['x', ['y']], ['y', ['z']], ['z', ['x']]])), [['x', 'y', 'z', 'x']]);
});

test('templates: ${VAR} from the workflow environment (--env wins), $${VAR} literal, $VAR left for the shell, undefined refused', () => {
  assert.is(fillTemplate('${A}-$${A}-$A-${B}', { A: '1', B: '2' }), '1-${A}-$A-2');
  assert.throws(() => fillTemplate('${NOPE}', { A: '1' }), /\$\{NOPE\} is not defined in the workflow's environment \(defined: A\); add it under environment: or pass it with --env NOPE=…/);
  assert.throws(() => fillTemplate('${1x}', {}), /is not a variable name/);
  const text = 'environment: {DIR: /data, N: 3}\njobs:\n  a:\n    command: echo\n    args: ["${DIR}/in", "${N}", "${MISSING}"]\n';
  assert.equal(problems(text), ["p.yaml:5: jobs.a.args[2]: ${MISSING} is not defined in the workflow's environment (defined: DIR, N); add it under environment: or pass it with --env MISSING=…"]);
  const ok = buildPlan(doc(text.replace(', "${MISSING}"', '')), { env: { DIR: '/other' } });
  assert.equal(ok.problems, []);
  assert.equal(ok.plan!.jobs[0]!.args, ['/other/in', '3']);
  assert.equal(ok.plan!.jobs[0]!.env, { DIR: '/other', N: '3' }, 'numbers in environment are text; jobs inherit it');
});

test('defaults fill what a job does not set; resources and environments merge key by key', () => {
  const text = `environment: {A: top}
defaults:
  network: none
  volumes: [v1]
  resources: {max_memory: 64, max_cpu: 50}
  environment: {B: dflt}
  retries: 2
  timeout: 5m
jobs:
  a:
    command: x
    resources: {max_cpu: 100}
    environment: {B: job, C: "\${A}"}
  b:
    command: y
    network: bridge
    volumes: [v2]
    retries: {count: 1, backoff: 10s, exponential: true}
`;
  const { plan, problems: p } = buildPlan(doc(text));
  assert.equal(p, []);
  const [a, b] = plan!.jobs;
  assert.equal([a!.network, a!.volumes, a!.resources.maxMemory, a!.resources.maxCpu, a!.env, a!.retries, a!.timeout], ['none', ['v1'], 64, 100, { A: 'top', B: 'job', C: 'top' }, { count: 2, backoffMs: 0, exponential: false }, '5m']);
  assert.equal([b!.network, b!.volumes, b!.retries], ['bridge', ['v2'], { count: 1, backoffMs: 10000, exponential: true }]);
  assert.is(plan!.name, 'p', 'a file without name: is called after the file');
});

test('named workflows: FILE:NAME, inheritance from the top, several need a choice; a job is not a workflow', () => {
  const text = `environment: {APP: shop}
defaults: {network: none}
on_failure: stop
workflows:
  build:
    jobs:
      compile: {command: echo, args: ["\${APP}"]}
  release:
    on_failure: continue
    environment: {CH: stable}
    jobs:
      publish: {command: echo, args: ["\${APP}-\${CH}"]}
jobs:
  lint: {command: "true"}
`;
  const d = doc(text);
  assert.is(selectorKind(d, 'build'), 'workflow');
  assert.is(selectorKind(d, 'lint'), 'job');
  assert.is(selectorKind(d, 'publish'), 'job');
  assert.is(selectorKind(d, 'zzz'), undefined);
  const rel = buildPlan(d, { workflowName: 'release' }).plan!;
  assert.equal([rel.name, rel.workflowName, rel.onFailure, rel.jobs[0]!.args, rel.jobs[0]!.network], ['release', 'release', 'continue', ['shop-stable'], 'none']);
  assert.equal(buildPlan(d, { workflowName: 'build' }).plan!.onFailure, 'stop');
  assert.equal(buildPlan(d).plan!.jobs.map((j) => j.name), ['lint'], 'top-level jobs when no name is given');
  assert.match(buildPlan(d, { workflowName: 'lint' }).problems.map(formatProblem)[0]!, /'lint' is a job, not a workflow: run it alone with 'rnx run --workflow=FILE:lint'/);
  const two = doc('workflows:\n  a: {jobs: {x: {command: y}}}\n  b: {jobs: {x: {command: y}}}\n');
  assert.match(buildPlan(two).problems.map(formatProblem)[0]!, /this file has 2 workflows \(a, b\): pick one with FILE:NAME/);
  const alone = planJobAlone(d, 'publish');
  assert.equal(alone.job!.args, ['shop-stable']);
  assert.equal(splitSelector('dir/p.yaml:build', () => false), { file: 'dir/p.yaml', name: 'build' });
  assert.equal(splitSelector('odd:name.yaml', (f) => f === 'odd:name.yaml'), { file: 'odd:name.yaml', name: '' });
});

test('uploads stay inside the file\'s directory; limits, durations, names and cores are checked', () => {
  const p = problems(`jobs:
  a:
    command: x
    uploads: {files: [../etc/passwd, /abs, ok/./x.py, ""]}
    resources: {cpu_cores: "3-1", max_disk: 10XB}
    timeout: 5 minutes
    retries: {count: 1, backoff: soon}
  "bad name":
    command: x
  OR:
    command: x
`);
  const text = p.join('\n');
  for (const re of [
    /jobs\.a\.uploads\.files\[0\]: '\.\.\/etc\/passwd' must be a path inside the workflow file's directory/,
    /jobs\.a\.uploads\.files\[1\]: '\/abs' must be a path inside/,
    /jobs\.a\.uploads\.files\[3\]: must be a path relative to the workflow file/,
    /jobs\.a\.resources\.cpu_cores: range '3-1' goes backwards/,
    /jobs\.a\.resources\.max_disk: '10XB' is not a size/,
    /jobs\.a\.timeout: '5 minutes' is not a duration/,
    /jobs\.a\.retries\.backoff: 'soon' is not a duration/,
    /jobs\.bad name: 'bad name' cannot be a job name/,
    /jobs\.OR: 'OR' cannot be a job name: .*\(AND, OR and IN are words of requirement expressions\)/,
  ]) {
    assert.match(text, re);
  }
  assert.not.match(text, /ok\/\.\/x\.py/, 'a normalizable path is fine');
  assert.match(problems('jobs:\n  a:\n    command: x\n    resources: {gpu_count: 1}\n').join('\n'), /^p\.yaml:4: jobs\.a\.resources\.gpu_count: GPUs are not available on this server/);
});

test('secret values are masked in the stored file without moving any line', () => {
  const text = `secret_environment:
  TOP: s3cr3t
jobs:
  a:
    command: x
    secret_environment:
      TOKEN: "quoted secret"
      BLOCK: |
        line one
        line two
    environment: {PLAIN: visible}
  b: {command: y, secret_environment: {K: flow-secret}}
`;
  const d = doc(text);
  const masked = d.masked(secretPaths(d.data));
  assert.not.match(masked, /s3cr3t|quoted secret|line one|line two|flow-secret/);
  assert.match(masked, /PLAIN: visible/);
  assert.is(masked.split('\n').length, text.split('\n').length);
  assert.is(masked.split('\n').indexOf('  b: {command: y, secret_environment: {K: "********"}}'), text.split('\n').indexOf('  b: {command: y, secret_environment: {K: flow-secret}}'));
  // The masked file still parses and keeps its structure.
  assert.equal(Object.keys((doc(masked).data.jobs as Record<string, unknown>)), ['a', 'b']);
});

test('one line for an error: the first problems, then how many more', () => {
  const ps: Problem[] = [1, 2, 3, 4, 5].map((n) => ({ file: 'p.yaml', line: n, path: `jobs.j${n}`, message: 'bad' }));
  assert.is(problemsMessage(ps), "p.yaml:1: jobs.j1: bad; p.yaml:2: jobs.j2: bad; p.yaml:3: jobs.j3: bad; and 2 more problems ('rnx workflow validate FILE' lists them all)");
});

test('merge keys and anchors work; dates stay text', () => {
  const { plan, problems: p } = buildPlan(doc(`x-common: &common
  command: echo
  network: none
jobs:
  a:
    <<: *common
    args: [2026-01-01]
`));
  // x-common is not a workflow key: refused, with its line; the merge itself worked (command is there).
  assert.equal(p.map(formatProblem), ['p.yaml:1: x-common: unknown key (allowed: name, description, environment, secret_environment, defaults, on_failure, jobs, version, workflows)']);
  assert.is(plan, undefined);
  const ok = buildPlan(doc('defaults: &d {network: none}\njobs:\n  a: {command: echo, args: [2026-01-01], <<: *d}\n')).plan!;
  assert.equal([ok.jobs[0]!.args, ok.jobs[0]!.network], [['2026-01-01'], 'none']);
});

test.run();
