/**
 * One error hierarchy for the whole product. Every error carries a stable code; the daemon maps
 * codes to gRPC status in exactly one middleware (src/daemon/middleware/errors.ts) and the client
 * maps them back in one function (src/cli/client.ts). Messages are written for the user: they say
 * what is wrong and, where possible, how to fix it.
 */

/** Stable error codes; never renumber or rename, clients and scripts match on them. */
export type ErrorCode =
  | 'INVALID_ARGUMENT'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'FAILED_PRECONDITION'
  | 'PERMISSION_DENIED'
  | 'UNAUTHENTICATED'
  | 'UNIMPLEMENTED'
  | 'UNAVAILABLE'
  | 'RESOURCE_EXHAUSTED'
  | 'INTERNAL'
  | 'CONFIG'
  | 'DEADLINE_EXCEEDED';

/** Base of every error we raise on purpose. */
export class JobletError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'JobletError';
  }
}

/** Bad input from a user: a flag, an RPC field, an upload path. */
export class InvalidArgumentError extends JobletError {
  constructor(message: string) {
    super('INVALID_ARGUMENT', message);
  }
}

/** The thing asked for does not exist. */
export class NotFoundError extends JobletError {
  constructor(message: string) {
    super('NOT_FOUND', message);
  }
}

/** The thing asked for exists already. */
export class AlreadyExistsError extends JobletError {
  constructor(message: string) {
    super('ALREADY_EXISTS', message);
  }
}

/** The request is valid but the current state forbids it (e.g. deleting a running job). */
export class FailedPreconditionError extends JobletError {
  constructor(message: string) {
    super('FAILED_PRECONDITION', message);
  }
}

/** The caller is authenticated but its role may not do this. */
export class PermissionDeniedError extends JobletError {
  constructor(message: string) {
    super('PERMISSION_DENIED', message);
  }
}

/** The caller presented no usable identity. */
export class UnauthenticatedError extends JobletError {
  constructor(message: string) {
    super('UNAUTHENTICATED', message);
  }
}

/** A feature that a later release builds; says so instead of pretending. */
export class UnimplementedError extends JobletError {
  constructor(message: string) {
    super('UNIMPLEMENTED', message);
  }
}

/** A configuration file or value is wrong; `joblet serve` exits 2 on it. */
export class ConfigError extends JobletError {
  constructor(message: string) {
    super('CONFIG', message);
  }
}

/** A system call failed; the message names the call, its arguments and errno. */
export class SyscallError extends JobletError {
  constructor(
    readonly op: string,
    readonly args: string,
    readonly errno: string,
  ) {
    super('INTERNAL', `${op}(${args}): ${errno}`);
  }
}

/** Turns anything thrown into a one-line message fit for a user. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
