/**
 * The page's side of the console API: JSON calls that carry the CSRF token on every mutation and
 * turn an error answer into an ApiFailure with the server's one-line message.
 */
import type { ApiError } from '../../shared/types';

let csrf = '';

/** Remember the CSRF token from /api/session. */
export function setCsrf(token: string): void {
  csrf = token;
}

/** Header that carries it (security.ts CSRF_HEADER). */
export const CSRF_HEADER = 'X-Joblet-CSRF';

/** A refused or failed call; `message` is what rnx would print. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Path of a node-scoped API: /api/n/<node>/<rest>. */
export function nodeApi(node: string, rest: string): string {
  return `/api/n/${encodeURIComponent(node)}/${rest}`;
}

/** Call the API; `body` is sent as JSON, or as-is when it is a Blob (with `type`). */
export async function call<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown, type?: string): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  let payload: BodyInit | undefined;
  if (method !== 'GET') headers[CSRF_HEADER] = csrf;
  if (body instanceof Blob) {
    payload = body;
    headers['Content-Type'] = type ?? 'application/octet-stream';
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers['Content-Type'] = 'application/json';
  }
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: payload, credentials: 'same-origin', cache: 'no-store' });
  } catch (err) {
    throw new ApiFailure(0, 'UNAVAILABLE', `the console did not answer (${(err as Error).message}); is rnx admin still running?`);
  }
  const text = await res.text();
  let value: unknown;
  try {
    value = text ? JSON.parse(text) : undefined;
  } catch {
    throw new ApiFailure(res.status, 'INTERNAL', `unexpected answer from the console (HTTP ${res.status})`);
  }
  if (!res.ok) {
    const e = (value as ApiError | undefined)?.error;
    throw new ApiFailure(res.status, e?.code ?? 'INTERNAL', e?.message ?? `HTTP ${res.status}`);
  }
  return value as T;
}
