/**
 * Every --json output matches what README.md documents: the job table (fields, types, which are
 * null when unknown, which only `status` has) and the table of the other commands. The shapes are
 * read from the README itself, so the documentation cannot drift from the program: a field
 * missing, undocumented or of another type fails here.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TestDaemon } from '../helpers/daemon';

/** A documented type. */
type Shape =
  | { kind: 'string' | 'number' | 'boolean' | 'time' | 'null' }
  | { kind: 'array'; of: Shape }
  | { kind: 'map'; of: Shape }
  | { kind: 'object'; fields: Record<string, { shape: Shape; optional: boolean }> }
  | { kind: 'union'; of: Shape[] };

/** Parse the README's type notation: `{id: string, endTime: time or null}`, `[{...}]`, `string[]`, `map of string`. */
function parseShape(text: string): Shape {
  let i = 0;
  const peek = (s: string) => text.startsWith(s, i);
  const eat = (s: string) => {
    if (!peek(s)) throw new Error(`expected '${s}' at ${i} in ${text}`);
    i += s.length;
  };
  const word = () => {
    const m = /^[A-Za-z]+/.exec(text.slice(i));
    if (!m) throw new Error(`expected a name at ${i} in ${text}`);
    i += m[0].length;
    return m[0];
  };
  const alt = (): Shape => {
    if (peek('[')) {
      eat('[');
      const of = union();
      eat(']');
      return { kind: 'array', of };
    }
    if (peek('{')) {
      eat('{');
      const fields: Record<string, { shape: Shape; optional: boolean }> = {};
      for (;;) {
        const name = word();
        eat(': ');
        fields[name] = { shape: union(), optional: false };
        if (peek('}')) break;
        eat(', ');
      }
      eat('}');
      return { kind: 'object', fields };
    }
    if (peek('map of ')) {
      eat('map of ');
      return { kind: 'map', of: alt() };
    }
    const w = word();
    if (!['string', 'number', 'boolean', 'time', 'null'].includes(w)) throw new Error(`unknown type '${w}' in ${text}`);
    const prim = { kind: w } as Shape;
    if (peek('[]')) {
      eat('[]');
      return { kind: 'array', of: prim };
    }
    return prim;
  };
  const union = (): Shape => {
    const of = [alt()];
    while (peek(' or ')) {
      eat(' or ');
      of.push(alt());
    }
    return of.length === 1 ? of[0]! : { kind: 'union', of };
  };
  const s = union();
  if (i !== text.length) throw new Error(`unexpected '${text.slice(i)}' in ${text}`);
  return s;
}

/** Problems of `value` against `shape` ([] = it matches). */
function check(value: unknown, shape: Shape, where: string): string[] {
  switch (shape.kind) {
    case 'string':
    case 'number':
    case 'boolean':
      return typeof value === shape.kind ? [] : [`${where}: ${JSON.stringify(value)} is not a ${shape.kind}`];
    case 'time':
      return typeof value === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(value) ? [] : [`${where}: ${JSON.stringify(value)} is not an RFC 3339 UTC time`];
    case 'null':
      return value === null ? [] : [`${where}: ${JSON.stringify(value)} is not null`];
    case 'array':
      return Array.isArray(value) ? value.flatMap((v, n) => check(v, shape.of, `${where}[${n}]`)) : [`${where}: not an array`];
    case 'map':
      return value && typeof value === 'object' && !Array.isArray(value) ? Object.entries(value).flatMap(([k, v]) => check(v, shape.of, `${where}.${k}`)) : [`${where}: not an object`];
    case 'union': {
      const each = shape.of.map((s) => check(value, s, where));
      return each.some((e) => e.length === 0) ? [] : [`${where}: ${JSON.stringify(value)} matches none of the documented types (${each.flat().join('; ')})`];
    }
    case 'object': {
      if (!value || typeof value !== 'object' || Array.isArray(value)) return [`${where}: not an object`];
      const v = value as Record<string, unknown>;
      const problems = Object.keys(v).filter((k) => !(k in shape.fields)).map((k) => `${where}.${k}: not documented`);
      for (const [k, f] of Object.entries(shape.fields)) {
        if (!(k in v)) {
          if (!f.optional) problems.push(`${where}.${k}: documented but missing`);
        } else problems.push(...check(v[k], f.shape, `${where}.${k}`));
      }
      return problems;
    }
  }
}

const readme = fs.readFileSync(path.join(__dirname, '../../README.md'), 'utf8');
const section = readme.slice(readme.indexOf('### JSON output'), readme.indexOf('\n## ', readme.indexOf('### JSON output')));

/** Rows of the markdown table right after `<!-- marker -->`. */
function tableAfter(marker: string): string[][] {
  const at = section.indexOf(`<!-- ${marker} -->`);
  assert.ok(at >= 0, `README JSON section has <!-- ${marker} -->`);
  const rows = section.slice(at).split('\n').slice(1);
  const out: string[][] = [];
  for (const line of rows.slice(2)) {
    if (!line.startsWith('|')) break;
    out.push(line.slice(1, -1).split(/(?<!\\)\|/).map((c) => c.trim()));
  }
  return out;
}

/** The job object, from its field table (dotted names nest; "(status only)" fields are optional). */
function jobShape(): Shape {
  const root: Shape & { kind: 'object' } = { kind: 'object', fields: {} };
  for (const [field, type] of tableAfter('json:job')) {
    const name = field!.replace(/`/g, '');
    const optional = / \(status only\)$/.test(type!);
    const shape = parseShape(type!.replace(/ \(status only\)$/, ''));
    const parts = name.split('.');
    let obj = root;
    for (const p of parts.slice(0, -1)) {
      obj.fields[p] ??= { shape: { kind: 'object', fields: {} }, optional: false };
      obj = obj.fields[p]!.shape as typeof root;
    }
    obj.fields[parts[parts.length - 1]!] = { shape, optional };
  }
  return root;
}

/** Command (as the README writes it) → documented shape. */
function otherShapes(): Map<string, Shape> {
  return new Map(tableAfter('json:other').map(([cmd, shape]) => [cmd!.replace(/`/g, ''), parseShape(shape!.replace(/`/g, ''))]));
}

const JOB = jobShape();

function conforms(value: unknown, shape: Shape, what: string): void {
  const problems = check(value, shape, what);
  assert.equal(problems, [], `${what} does not match the README:\n${problems.join('\n')}\n${JSON.stringify(value, null, 2)}`);
}

test('the README documents limits and usage field by field, and its job example matches its own table', () => {
  const fields = (JOB as { fields: Record<string, { shape: Shape }> }).fields;
  for (const k of ['limits', 'usage']) assert.ok(fields[k], `${k} documented`);
  assert.equal(Object.keys((fields.limits!.shape as { fields: object }).fields), ['cpuPercent', 'cpuCores', 'memoryBytes', 'ioBps', 'pids', 'diskBytes', 'timeoutMs']);
  assert.equal(Object.keys((fields.usage!.shape as { fields: object }).fields), ['cpuSeconds', 'memoryPeakBytes', 'oomKills']);
  const example = /```json\n([\s\S]*?)```/.exec(section)?.[1];
  conforms(JSON.parse(example!), JOB, 'README job example');
});

let d: TestDaemon;
test.before(async () => {
  d = await TestDaemon.start();
});
test.after(async () => {
  await d?.destroy();
});

async function json(args: string[]): Promise<unknown> {
  const r = await d.rnx(args);
  assert.is(r.code, 0, `rnx ${args.join(' ')}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

test('every job output matches the documented job: run, run --wait, status, inspect, list, while running and after', async () => {
  const started = (await json(['run', '--json', '--env', 'A=1', 'sleep', '30'])) as { id: string; endTime: unknown; exitCode: unknown };
  conforms(started, JOB, 'rnx run --json');
  assert.is(started.endTime, null);
  assert.is(started.exitCode, null);
  const running = (await json(['status', '--json', started.id])) as Record<string, unknown>;
  conforms(running, JOB, 'rnx status --json (running)');
  assert.is(running.endTime, null, 'never ""');
  conforms(await json(['inspect', started.id]), JOB, 'rnx inspect');
  const stopped = await json(['stop', '--json', started.id]);
  conforms(stopped, otherShapes().get('rnx stop --json ID')!, 'rnx stop --json');
  const waited = (await json(['run', '--wait', '--json', '--max-memory=64', '--timeout=1m', 'true'])) as Record<string, unknown>;
  conforms(waited, JOB, 'rnx run --wait --json');
  assert.ok('network' in waited && 'volumes' in waited, 'run --wait prints the job as status does');
  const done = (await json(['status', '--json', waited.id as string])) as Record<string, unknown>;
  conforms(done, JOB, 'rnx status --json (done)');
  assert.match(String(done.endTime), /Z$/);
  const list = (await json(['list', '--json'])) as unknown[];
  assert.ok(list.length >= 2);
  list.forEach((j, n) => conforms(j, JOB, `rnx list --json [${n}]`));
});

test("every other command's --json output matches its README row, and every row is checked", async () => {
  const shapes = otherShapes();
  const checked = new Set<string>();
  const expect = async (readmeCommand: string, args: string[]) => {
    const shape = shapes.get(readmeCommand);
    assert.ok(shape, `README documents ${readmeCommand}`);
    conforms(await json(args), shape!, readmeCommand);
    checked.add(readmeCommand);
  };
  const running = await d.run(['sleep', '30']);
  await expect('rnx stop --json ID', ['stop', '--json', running]);
  await d.waitDone(running);
  await expect('rnx delete --json ID', ['delete', '--json', running]);
  await expect('rnx delete --all --json', ['delete', '--all', '--json']);
  await expect('rnx nodes --json', ['nodes', '--json']);
  await expect('rnx volume create --json', ['volume', 'create', 'jsonvol', '--size=4MB', '--type=memory', '--json']);
  await expect('rnx volume list --json', ['volume', 'list', '--json']);
  await expect('rnx volume remove --json', ['volume', 'remove', 'jsonvol', '--json']);
  const k = Math.floor(Math.random() * 200);
  await expect('rnx network create --json', ['network', 'create', 'jsonnet', `--cidr=10.${200 + (k % 50)}.${k}.0/28`, '--json']);
  await expect('rnx network list --json', ['network', 'list', '--json']);
  await expect('rnx network remove --json', ['network', 'remove', 'jsonnet', '--json']);
  await expect('rnx version --json', ['version', '--json']);
  const scheduled = (await json(['run', '--json', '--schedule=1h', 'true'])) as { id: string };
  conforms(scheduled, JOB, 'rnx run --schedule --json');
  await expect('rnx cancel --json ID', ['cancel', '--json', scheduled.id]);
  await expect('rnx run --cron --json', ['run', '--json', '--cron=@daily', '--name=jsonsched', 'true']);
  await expect('rnx schedule list --json', ['schedule', 'list', '--json']);
  await expect('rnx schedule pause --json NAME', ['schedule', 'pause', '--json', 'jsonsched']);
  await expect('rnx schedule resume --json NAME', ['schedule', 'resume', '--json', 'jsonsched']);
  await expect('rnx schedule remove --json NAME', ['schedule', 'remove', '--json', 'jsonsched']);
  await expect('rnx runtime list --json', ['runtime', 'list', '--json']);
  await expect('rnx runtime info --json NAME', ['runtime', 'info', '--json', 'python:3.11-ml']);
  const yaml = path.join(d.dir, 'runtime.yaml');
  fs.writeFileSync(yaml, 'schema_version: "1.0"\nname: json-rt\nversion: 1.0.0\ndescription: JSON check\nbase: { language: python, version: "3.11" }\npackages: [python3-requests]\n');
  await expect('rnx runtime validate --json FILE', ['runtime', 'validate', '--json', yaml]);
  conforms(await json(['version', '--client', '--json']), shapes.get('rnx version --json')!, 'rnx version --client --json');
  assert.equal([...checked].sort(), [...shapes.keys()].sort(), 'every documented command was run');
});

test.run();
