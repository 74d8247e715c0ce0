/**
 * `rnx completion bash` loads in bash: the script parses (`bash -n`), sourcing it registers the
 * completion (`complete -p rnx`), and the registered function completes commands, subcommands,
 * flags and flag values the way bash calls it (COMP_WORDS/COMP_CWORD in, COMPREPLY out).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { exec, RNX } from '../helpers/daemon';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'joblet-completion-'));
const script = path.join(dir, 'rnx.bash');

test.before(async () => {
  // No config anywhere: completions that ask the server must fail fast and quietly.
  const r = await exec(RNX, ['completion', 'bash'], { env: { HOME: dir, RNX_CONFIG: '' } });
  if (r.code !== 0) throw new Error(`rnx completion bash failed (${r.code}): ${r.stderr}`);
  fs.writeFileSync(script, r.stdout);
});

test.after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** COMPREPLY of the registered completion for the words typed so far (the last one being completed). */
async function complete(words: string[]): Promise<string[]> {
  const quoted = words.map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(' ');
  const prog = [
    `source '${script}'`,
    'fn=$(complete -p rnx | sed -n "s/.*-F \\([^ ]*\\) .*/\\1/p")',
    `COMP_WORDS=(${quoted})`,
    `COMP_CWORD=${words.length - 1}`,
    'COMP_LINE="${COMP_WORDS[*]}"',
    'COMP_POINT=${#COMP_LINE}',
    `"$fn" rnx '${words[words.length - 1]!.replace(/'/g, `'\\''`)}' '${(words[words.length - 2] ?? '').replace(/'/g, `'\\''`)}'`,
    'printf "%s\\n" "${COMPREPLY[@]}"',
  ].join('\n');
  const r = await exec('bash', ['--norc', '--noprofile', '-c', prog], { cwd: dir, env: { HOME: dir, RNX_CONFIG: '', PATH: `${path.dirname(RNX)}:${process.env.PATH}` }, timeoutMs: 30_000 });
  assert.is(r.code, 0, `bash: ${r.stderr}`);
  return r.stdout.split('\n').filter(Boolean);
}

test('bash -n accepts the script', async () => {
  const r = await exec('bash', ['-n', script]);
  assert.is(r.code, 0, r.stderr);
});

test('sourcing it registers a function completion for rnx (complete -p rnx)', async () => {
  const r = await exec('bash', ['--norc', '--noprofile', '-c', `source '${script}' && complete -p rnx`]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /^complete -F _\w+ rnx$/m);
  assert.is(r.stderr, '', 'sourcing prints nothing');
});

test('it completes commands, subcommands, flags and flag values', async () => {
  assert.equal(await complete(['rnx', 'vol']), ['volume']);
  const sub = await complete(['rnx', 'volume', '']);
  for (const s of ['create', 'list', 'remove']) assert.ok(sub.includes(s), `rnx volume <TAB> offers ${s}: ${sub.join(' ')}`);
  const flags = await complete(['rnx', 'run', '--max-m']);
  assert.equal(flags, ['--max-memory']);
  const modes = await complete(['rnx', 'run', '--network', '']);
  for (const m of ['none', 'isolated', 'bridge']) assert.ok(modes.includes(m), `--network values offer ${m}: ${modes.join(' ')}`);
  const types = await complete(['rnx', 'volume', 'create', '--type', '']);
  assert.equal(types.sort(), ['filesystem', 'memory']);
});

test.run();
