/**
 * HTTP plumbing of the console's backend: JSON answers, bounded JSON bodies, and the one place
 * where an error becomes an HTTP status with the same one-line message rnx prints.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { InvalidArgumentError, JobletError, describeError, type ErrorCode } from '../shared/errors';

/** HTTP status for each error code. */
const STATUS: Record<ErrorCode, number> = {
  INVALID_ARGUMENT: 400,
  CONFIG: 400,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  FAILED_PRECONDITION: 409,
  PERMISSION_DENIED: 403,
  UNAUTHENTICATED: 401,
  UNIMPLEMENTED: 501,
  RESOURCE_EXHAUSTED: 429,
  UNAVAILABLE: 502,
  DEADLINE_EXCEEDED: 504,
  INTERNAL: 500,
};

/** Largest JSON body the API reads (a run request with a long environment fits easily). */
const MAX_JSON_BYTES = 1 << 20;

/** Answer with a JSON value. */
export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = Buffer.from(JSON.stringify(value));
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': body.length, 'Cache-Control': 'no-store' });
  res.end(body);
}

/** Answer with an error: `{error: {code, message}}` and the status of its code. */
export function sendError(res: ServerResponse, err: unknown): void {
  const code: ErrorCode = err instanceof JobletError ? err.code : 'INTERNAL';
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, STATUS[code], { error: { code, message: describeError(err) } });
}

/** Read and parse a JSON body of at most 1 MiB; refuses other content types. */
export async function readJson(req: IncomingMessage): Promise<unknown> {
  if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) throw new InvalidArgumentError('the request body must be JSON (Content-Type: application/json)');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > MAX_JSON_BYTES) throw new InvalidArgumentError(`the request body is larger than ${MAX_JSON_BYTES} bytes`);
    chunks.push(c);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new InvalidArgumentError('the request body is not valid JSON');
  }
}

/** A string field of a parsed body, or a clear refusal. */
export function stringField(body: unknown, name: string, required = true): string {
  const v = (body as Record<string, unknown> | null)?.[name];
  if (v === undefined || v === null || v === '') {
    if (required) throw new InvalidArgumentError(`'${name}' is required`);
    return '';
  }
  if (typeof v !== 'string') throw new InvalidArgumentError(`'${name}' must be a string`);
  return v;
}
