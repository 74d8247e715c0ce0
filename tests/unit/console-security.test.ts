/**
 * Who may use the console: loopback answers only to loopback names (DNS rebinding), any other
 * bind needs the token (which moves into an HttpOnly cookie), mutations need the CSRF token,
 * the console's own origin and a body type no plain form can send.
 */
import type { IncomingMessage } from 'node:http';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AccessPolicy, CONTENT_SECURITY_POLICY, checkToken, isLoopbackBind, newToken } from '../../src/console/security';

function req(method: string, url: string, headers: Record<string, string> = {}): IncomingMessage {
  return { method, url, headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])) } as unknown as IncomingMessage;
}

test('loopback addresses', () => {
  for (const a of ['127.0.0.1', '127.3.4.5', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1']) assert.ok(isLoopbackBind(a), a);
  for (const a of ['0.0.0.0', '::', '10.0.0.1', '192.168.1.2', 'example.org', '128.0.0.1']) assert.not.ok(isLoopbackBind(a), a);
});

test('on loopback, a request for another host name is refused (DNS rebinding)', () => {
  const p = new AccessPolicy({ bind: '127.0.0.1', port: 5173 });
  for (const host of ['127.0.0.1:5173', 'localhost:5173', '[::1]:5173', 'localhost']) assert.equal(p.check(req('GET', '/', { host })), { ok: true }, host);
  for (const host of ['evil.example:5173', '127.0.0.1:80', '10.1.1.1:5173', '']) {
    const v = p.check(req('GET', '/api/session', host ? { host } : {}));
    assert.ok(!v.ok && 'status' in v && v.status === 403, host);
  }
});

test('with a token: no token or a wrong one is 401; the right one becomes an HttpOnly cookie', () => {
  const token = newToken();
  const p = new AccessPolicy({ bind: '0.0.0.0', port: 8080, token });
  const host = { host: 'server.lan:8080' };
  const none = p.check(req('GET', '/', host));
  assert.ok(!none.ok && 'status' in none && none.status === 401);
  const wrong = p.check(req('GET', `/?token=${token.slice(0, -1)}x`, host));
  assert.ok(!wrong.ok && 'status' in wrong && wrong.status === 401);
  const right = p.check(req('GET', `/?token=${token}&x=1`, host));
  assert.ok(!right.ok && 'redirect' in right);
  if (right.ok || !('redirect' in right)) return;
  // The token leaves the address; the cookie carries a derived value, never the token itself.
  assert.is(right.redirect, '/?x=1');
  assert.match(right.cookie, /^joblet_console_8080=[^;]+; HttpOnly; SameSite=Strict; Path=\//);
  assert.not.ok(right.cookie.includes(token));
  const cookie = right.cookie.split(';')[0]!;
  assert.equal(p.check(req('GET', '/api/session', { ...host, cookie: `other=1; ${cookie}` })), { ok: true });
  assert.equal(p.check(req('GET', '/api/session', { ...host, authorization: `Bearer ${token}` })), { ok: true });
  const forged = p.check(req('GET', '/api/session', { ...host, cookie: `${cookie.slice(0, -2)}AA` }));
  assert.ok(!forged.ok);
});

test('mutations need the CSRF token, the same origin and a non-form body', () => {
  const p = new AccessPolicy({ bind: '127.0.0.1', port: 5173 });
  const base = { host: '127.0.0.1:5173', 'content-type': 'application/json' };
  const status = (h: Record<string, string>) => {
    const v = p.check(req('POST', '/api/n/default/jobs', h));
    return v.ok ? 200 : 'status' in v ? v.status : 303;
  };
  assert.is(status({ ...base, 'x-joblet-csrf': p.csrf, origin: 'http://127.0.0.1:5173', 'sec-fetch-site': 'same-origin' }), 200);
  assert.is(status(base), 403);
  assert.is(status({ ...base, 'x-joblet-csrf': 'guess' }), 403);
  assert.is(status({ ...base, 'x-joblet-csrf': p.csrf, origin: 'http://evil.example' }), 403);
  assert.is(status({ ...base, 'x-joblet-csrf': p.csrf, 'sec-fetch-site': 'cross-site' }), 403);
  assert.is(status({ ...base, 'x-joblet-csrf': p.csrf, 'content-type': 'application/x-www-form-urlencoded' }), 415);
  assert.is(status({ ...base, 'x-joblet-csrf': p.csrf, 'content-type': 'text/plain' }), 415);
  // A token in the URL never authorizes a mutation (it would be a link anyone could send).
  const t = new AccessPolicy({ bind: '0.0.0.0', port: 1, token: newToken() });
  assert.not.ok(t.check(req('POST', `/api/n/default/jobs?token=x`, { host: 'h:1', 'x-joblet-csrf': t.csrf })).ok);
});

test('the policy allows nothing inline and nothing from elsewhere', () => {
  assert.match(CONTENT_SECURITY_POLICY, /default-src 'none'/);
  assert.match(CONTENT_SECURITY_POLICY, /script-src 'self'(;|$)/);
  assert.match(CONTENT_SECURITY_POLICY, /frame-ancestors 'none'/);
  assert.not.match(CONTENT_SECURITY_POLICY, /unsafe|\*|https?:/);
});

test('--token must be long and URL-safe', () => {
  assert.throws(() => checkToken('short'), /at least 16 characters/);
  assert.throws(() => checkToken('a'.repeat(20) + '&x'), /may only contain/);
  assert.is(checkToken('a-valid_token.123~'), 'a-valid_token.123~');
  assert.ok(newToken().length >= 40);
});

test.run();
