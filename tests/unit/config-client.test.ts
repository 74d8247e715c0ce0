import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as yaml from 'js-yaml';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { generateCa, issueClientCert, type CertAndKey } from '../../src/shared/certs';
import { clientConfigSearch, defaultNodeName, homeDir, loadClientConfig, parseClientConfig, resolveNode, type ClientConfig } from '../../src/shared/config/client';
import { ConfigError } from '../../src/shared/errors';

let ca: CertAndKey;
let admin: CertAndKey;
let tmp: string;

test.before(async () => {
  ca = await generateCa();
  admin = await issueClientCert(ca, 'admin');
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rnx-cfg-'));
});
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const node = (address = '127.0.0.1:50051') => ({ address, cert: admin.cert, key: admin.key, ca: ca.cert });
const text = (d: unknown) => yaml.dump(d);
const parse = (d: unknown) => parseClientConfig(text(d), 'rnx-config.yml');

function problem(d: unknown): string {
  try {
    parseClientConfig(typeof d === 'string' ? d : text(d), 'rnx-config.yml');
  } catch (err) {
    assert.instance(err, ConfigError);
    assert.not.match((err as Error).message, '\n');
    return (err as Error).message;
  }
  assert.unreachable('config was accepted');
  return '';
}

test('parses nodes and fills their names; version optional, "1" and "3.0" accepted', () => {
  const c = parse({ version: '3.0', nodes: { default: node(), viewer: { address: 'host.example:7000' } } });
  assert.equal(c.nodes['default'], { name: 'default', ...node() });
  assert.equal(c.nodes['viewer'], { name: 'viewer', address: 'host.example:7000' });
  assert.is(parse({ nodes: { a: node() } }).version, '1');
  assert.is(parseClientConfig('version: 3.0\nnodes:\n  a:\n    address: "h:1"\n', 'x').version, '3.0');
  assert.is(parseClientConfig('version: 1\nnodes:\n  a:\n    address: "h:1"\n', 'x').version, '1');
  // Keys written by later versions of the original rnx.
  parse({ nodes: { a: { ...node(), isDefault: true, nodeId: 'n-1' } } });
});

test('an address without a port gets 50051', () => {
  assert.is(parse({ nodes: { a: { address: 'server.example.org' } } }).nodes['a']!.address, 'server.example.org:50051');
  assert.is(parse({ nodes: { a: { address: '10.0.0.1' } } }).nodes['a']!.address, '10.0.0.1:50051');
  assert.is(parse({ nodes: { a: { address: '[::1]' } } }).nodes['a']!.address, '[::1]:50051');
});

test('bad client configs: one line naming the key', () => {
  assert.is(problem({ version: '1' }), "rnx-config.yml: nodes: is required: a mapping of node names to {address, cert, key, ca}; run 'rnx config-help' to see how to get one");
  assert.is(problem({ nodes: {} }), "rnx-config.yml: nodes: has no nodes; run 'rnx config-help' to see how to get one");
  assert.is(problem({ server: { address: 'invalid:9999' } }), 'rnx-config.yml: server: unknown key (allowed: version, nodes); nodes: is required: a mapping of node names to {address, cert, key, ca}; run \'rnx config-help\' to see how to get one');
  assert.is(problem({ version: '2', nodes: { a: node() } }), 'rnx-config.yml: version: must be "1" or "3.0" (got "2")');
  assert.is(problem({ nodes: { a: { adress: 'x:1' } } }), 'rnx-config.yml: nodes.a.adress: unknown key (allowed: address, cert, key, ca, isDefault, nodeId); nodes.a.address: is required');
  assert.is(problem({ nodes: { a: { address: 'h:0' } } }), 'rnx-config.yml: nodes.a.address: must be HOST:PORT with a port 1-65535, IPv6 in brackets like [::1]:50051 (got "h:0")');
  assert.is(problem({ nodes: { a: { address: 'h:1', cert: 'nope' } } }), 'rnx-config.yml: nodes.a.cert: must be the client certificate in PEM form (no "-----BEGIN …" line found)');
  assert.is(problem({ nodes: { a: { address: 'h:1', key: ca.cert } } }), "rnx-config.yml: nodes.a.key: must be the client certificate's private key in PEM form (no \"-----BEGIN …\" line found)");
  assert.is(problem({ nodes: { a: { address: 'h:1', isDefault: 'yes' } } }), 'rnx-config.yml: nodes.a.isDefault: must be a boolean (got "yes")');
  assert.is(
    problem({ nodes: { a: { address: 'h:1', isDefault: true }, b: { address: 'h:2', isDefault: true } } }),
    'rnx-config.yml: nodes: more than one node has isDefault: true (a, b); mark at most one',
  );
  assert.match(problem('nodes:\n  a: {address: "h:1"\n'), /^rnx-config\.yml:\d+:\d+: YAML syntax error: /);
});

test('resolveNode: by name, else isDefault, else "default", else the only node', () => {
  const c = parse({ nodes: { default: node(), viewer: node('v:1'), prod: node('p:1') } });
  assert.is(resolveNode(c, 'viewer').address, 'v:1');
  assert.is(resolveNode(c).name, 'default');
  const marked = parse({ nodes: { default: node(), prod: { ...node('p:1'), isDefault: true } } });
  assert.is(resolveNode(marked).name, 'prod');
  assert.is(defaultNodeName(marked), 'prod');
  assert.is(resolveNode(parse({ nodes: { solo: node('s:1') } })).name, 'solo');
});

test('resolveNode: unknown node or no default lists the available nodes', () => {
  const c = parse({ nodes: { zeta: node(), alpha: node() } });
  const err = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      assert.instance(e, ConfigError);
      return (e as Error).message;
    }
    assert.unreachable('no error');
  };
  assert.is(err(() => resolveNode(c, 'beta')), "node 'beta' is not in the client config (available: alpha, zeta)");
  assert.is(err(() => resolveNode(c, '__proto__')), "node '__proto__' is not in the client config (available: alpha, zeta)");
  assert.is(err(() => resolveNode(c, 'constructor')), "node 'constructor' is not in the client config (available: alpha, zeta)");
  assert.is(err(() => resolveNode(c)), 'no default node: pass --node NAME (available: alpha, zeta) or set isDefault: true on one node');
  assert.is(defaultNodeName(c as ClientConfig), undefined);
});

test('search list: $RNX_CONFIG, ./, ~/.rnx/, /etc/joblet/, /opt/joblet/config/', () => {
  assert.equal(clientConfigSearch({ RNX_CONFIG: '/x.yml' }, '/home/u'), [
    '/x.yml',
    path.join(process.cwd(), 'rnx-config.yml'),
    '/home/u/.rnx/rnx-config.yml',
    '/etc/joblet/rnx-config.yml',
    '/opt/joblet/config/rnx-config.yml',
  ]);
  assert.is(clientConfigSearch({}, '/home/u').length, 4);
});

test('search list on Windows: %USERPROFILE%\\.rnx, then %ProgramData%\\joblet; macOS as Linux', () => {
  const env = { USERPROFILE: 'C:\\Users\\ada', HOME: '/c/Users/ada', ProgramData: 'D:\\ProgramData' };
  const win = clientConfigSearch(env, homeDir(env, 'win32'), 'win32');
  assert.equal(win, [path.win32.resolve('rnx-config.yml'), 'C:\\Users\\ada\\.rnx\\rnx-config.yml', 'D:\\ProgramData\\joblet\\rnx-config.yml']);
  assert.is(clientConfigSearch({ RNX_CONFIG: 'C:\\cfg\\rnx.yml' }, 'C:\\Users\\ada', 'win32')[0], 'C:\\cfg\\rnx.yml');
  assert.is(clientConfigSearch({}, 'C:\\Users\\ada', 'win32')[2], 'C:\\ProgramData\\joblet\\rnx-config.yml');
  assert.is(homeDir({ HOME: '/Users/ada' }, 'darwin'), '/Users/ada');
  assert.equal(clientConfigSearch({}, '/Users/ada', 'darwin').slice(1), ['/Users/ada/.rnx/rnx-config.yml', '/etc/joblet/rnx-config.yml', '/opt/joblet/config/rnx-config.yml']);
});

test('loadClientConfig honours the order: --config, $RNX_CONFIG, ./, ~/.rnx/', () => {
  const write = (p: string, addr: string) => {
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, text({ nodes: { default: { address: addr } } }));
  };
  const home = path.join(tmp, 'home');
  const work = path.join(tmp, 'work');
  const flag = path.join(tmp, 'flag.yml');
  const envFile = path.join(tmp, 'env.yml');
  write(flag, 'flag:1');
  write(envFile, 'env:1');
  write(path.join(work, 'rnx-config.yml'), 'cwd:1');
  write(path.join(home, '.rnx', 'rnx-config.yml'), 'home:1');
  const addr = (r: { config: ClientConfig }) => r.config.nodes['default']!.address;
  const cwd = process.cwd();
  process.chdir(work);
  try {
    assert.is(addr(loadClientConfig(flag, { RNX_CONFIG: envFile }, home)), 'flag:1');
    assert.is(addr(loadClientConfig(undefined, { RNX_CONFIG: envFile }, home)), 'env:1');
    const fromCwd = loadClientConfig(undefined, {}, home);
    assert.equal([addr(fromCwd), fromCwd.path], ['cwd:1', path.join(work, 'rnx-config.yml')]);
    process.chdir(tmp);
    assert.is(addr(loadClientConfig(undefined, {}, home)), 'home:1');
    // The home directory comes from $HOME in the given environment when no home is passed.
    assert.is(addr(loadClientConfig(undefined, { HOME: home })), 'home:1');
  } finally {
    process.chdir(cwd);
  }
});

test('loadClientConfig: a missing explicit file is an error naming it and config-help', () => {
  const missing = path.join(tmp, 'missing.yml');
  for (const [flag, env, from] of [
    [missing, {}, '--config'],
    [undefined, { RNX_CONFIG: missing }, '$RNX_CONFIG'],
  ] as const) {
    try {
      loadClientConfig(flag, env, tmp);
      assert.unreachable();
    } catch (err) {
      assert.instance(err, ConfigError);
      assert.is((err as Error).message, `config file ${missing} (from ${from}) does not exist; run 'rnx config-help' to see how to get one`);
    }
  }
});

test.run();
