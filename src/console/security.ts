/**
 * Who may use the console, and how its pages are protected:
 * - bound to loopback (the default) it serves only requests whose Host is a loopback name, so a
 *   web page elsewhere cannot reach it by pointing its own DNS name at 127.0.0.1 (DNS rebinding);
 * - bound to anything else it needs an access token: the URL printed at start carries it once as
 *   `?token=`, the answer moves it into an HttpOnly cookie and sends the browser on without it;
 * - every mutation carries the CSRF token the page read from /api/session (a cross-site page cannot
 *   read it), comes from the console's own origin, and is JSON or our upload type (never a form);
 * - every answer carries a strict Content-Security-Policy: scripts, styles and connections only
 *   from the console itself, nothing inline, no frames.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import * as net from 'node:net';
import { InvalidArgumentError } from '../shared/errors';

/** The policy of every page: nothing from elsewhere, nothing inline, never in a frame. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers sent with every answer. */
export const SECURITY_HEADERS: OutgoingHttpHeaders = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), usb=()',
};

/** Header that carries the CSRF token on mutations. */
export const CSRF_HEADER = 'x-joblet-csrf';

/** Shortest token accepted from --token. */
export const MIN_TOKEN_LENGTH = 16;

/** True for an address that only this machine can reach: 127.0.0.0/8, ::1, localhost. */
export function isLoopbackBind(address: string): boolean {
  const a = address.replace(/^\[|\]$/g, '').toLowerCase();
  if (a === 'localhost') return true;
  if (net.isIPv4(a)) return a.startsWith('127.');
  if (net.isIPv6(a)) return a === '::1' || /^::ffff:127\./.test(a);
  return false;
}

/** A new access token: 32 random bytes, URL-safe. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Check a token given with --token. */
export function checkToken(token: string): string {
  if (token.length < MIN_TOKEN_LENGTH) throw new InvalidArgumentError(`--token must be at least ${MIN_TOKEN_LENGTH} characters; leave it out and rnx admin makes one`);
  if (!/^[A-Za-z0-9._~-]+$/.test(token)) throw new InvalidArgumentError('--token may only contain letters, digits and . _ ~ - (it travels in a URL)');
  return token;
}

/** Outcome of checking a request. */
export type Verdict = { ok: true } | { ok: false; status: number; message: string } | { ok: false; redirect: string; cookie: string };

/** Access rules of one running console. */
export class AccessPolicy {
  /** The CSRF token of this console process. */
  readonly csrf = randomBytes(24).toString('base64url');
  private readonly session?: Buffer;
  private readonly cookieName: string;

  constructor(
    private readonly opts: { bind: string; port: number; token?: string },
  ) {
    // The cookie holds a value derived from the token, not the token itself.
    if (opts.token) this.session = createHmac('sha256', opts.token).update('joblet-console-session').digest();
    // Cookies are shared by every port of a host: the port keeps two consoles apart.
    this.cookieName = `joblet_console_${opts.port}`;
  }

  /** Does this console need an access token? */
  get needsToken(): boolean {
    return this.opts.token !== undefined;
  }

  /** Decide whether `req` may be served. */
  check(req: IncomingMessage): Verdict {
    if (isLoopbackBind(this.opts.bind) && !this.hostIsLoopback(req.headers.host)) {
      return { ok: false, status: 403, message: `this console only answers to localhost, 127.0.0.1 and [::1] (the request named host '${req.headers.host ?? ''}')` };
    }
    if (this.session) {
      const url = new URL(req.url ?? '/', 'http://console');
      const given = url.searchParams.get('token');
      if (given !== null && (req.method === 'GET' || req.method === 'HEAD')) {
        if (!this.tokenMatches(given)) return { ok: false, status: 401, message: 'wrong access token: use the URL that rnx admin printed' };
        url.searchParams.delete('token');
        // The token leaves the address bar and the history at once; the cookie carries the session.
        const cookie = `${this.cookieName}=${this.session.toString('base64url')}; HttpOnly; SameSite=Strict; Path=/; Max-Age=2592000`;
        return { ok: false, redirect: `${url.pathname}${url.search}`, cookie };
      }
      if (!this.hasSession(req)) return { ok: false, status: 401, message: 'this console needs its access token: open the URL that rnx admin printed (…/?token=…)' };
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return this.checkMutation(req);
    return { ok: true };
  }

  /** Mutations: our CSRF token, our own origin, and no body type a plain HTML form could send. */
  private checkMutation(req: IncomingMessage): Verdict {
    const token = req.headers[CSRF_HEADER];
    if (typeof token !== 'string' || !equal(token, this.csrf)) return { ok: false, status: 403, message: 'missing or wrong CSRF token: reload the console page' };
    const site = req.headers['sec-fetch-site'];
    if (site !== undefined && site !== 'same-origin') return { ok: false, status: 403, message: `cross-site request refused (Sec-Fetch-Site: ${site})` };
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== `http://${req.headers.host}`) return { ok: false, status: 403, message: `request from another origin refused (${origin})` };
    const type = req.headers['content-type'] ?? '';
    if (/^(application\/x-www-form-urlencoded|multipart\/form-data|text\/plain)\b/i.test(type)) return { ok: false, status: 415, message: `content type ${type} is not accepted` };
    return { ok: true };
  }

  private hostIsLoopback(host: string | undefined): boolean {
    if (!host) return false;
    const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(host);
    if (!m) return false;
    return isLoopbackBind(m[1]!) && (m[2] === undefined || Number(m[2]) === this.opts.port);
  }

  private tokenMatches(given: string): boolean {
    return this.opts.token !== undefined && equal(given, this.opts.token);
  }

  private hasSession(req: IncomingMessage): boolean {
    const auth = req.headers.authorization;
    if (auth?.startsWith('Bearer ') && this.tokenMatches(auth.slice(7).trim())) return true;
    const value = cookieValue(req.headers.cookie, this.cookieName);
    if (value === undefined) return false;
    const got = Buffer.from(value, 'base64url');
    return got.length === this.session!.length && timingSafeEqual(got, this.session!);
  }
}

/** Constant-time string comparison. */
function equal(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Value of one cookie in a Cookie header. */
function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** Send a refusal: JSON for the API, a small page (no script) for everything else. */
export function sendRefusal(req: IncomingMessage, res: ServerResponse, status: number, message: string): void {
  if ((req.url ?? '').startsWith('/api/')) {
    const body = JSON.stringify({ error: { code: status === 401 ? 'UNAUTHENTICATED' : 'PERMISSION_DENIED', message } });
    res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(body);
    return;
  }
  const text = message.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>joblet console</title></head><body><h1>joblet console</h1><p>${text}</p></body></html>\n`);
}
