/**
 * The one place where errors become gRPC statuses. Our JobletErrors map by code; anything else is
 * an internal error: logged with its stack on the server, shown to the client without internals.
 */
import { ServerError, Status, type CallContext, type ServerMiddlewareCall } from 'nice-grpc';
import { isAbortError } from 'abort-controller-x';
import { JobletError, type ErrorCode } from '../../shared/errors';

const STATUS: Record<ErrorCode, Status> = {
  INVALID_ARGUMENT: Status.INVALID_ARGUMENT,
  NOT_FOUND: Status.NOT_FOUND,
  ALREADY_EXISTS: Status.ALREADY_EXISTS,
  FAILED_PRECONDITION: Status.FAILED_PRECONDITION,
  PERMISSION_DENIED: Status.PERMISSION_DENIED,
  UNAUTHENTICATED: Status.UNAUTHENTICATED,
  UNIMPLEMENTED: Status.UNIMPLEMENTED,
  UNAVAILABLE: Status.UNAVAILABLE,
  RESOURCE_EXHAUSTED: Status.RESOURCE_EXHAUSTED,
  INTERNAL: Status.INTERNAL,
  CONFIG: Status.FAILED_PRECONDITION,
  DEADLINE_EXCEEDED: Status.DEADLINE_EXCEEDED,
};

/** Build the middleware; `log` receives unexpected errors. */
export function errorMiddleware(log: (msg: string) => void) {
  return async function* <Req, Res>(call: ServerMiddlewareCall<Req, Res>, context: CallContext) {
    try {
      return yield* call.next(call.request, context);
    } catch (err) {
      if (err instanceof ServerError || isAbortError(err)) throw err;
      if (err instanceof JobletError) throw new ServerError(STATUS[err.code], err.message);
      log(`internal error in ${call.method.path}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      throw new ServerError(Status.INTERNAL, `internal error in ${call.method.path.split('/').pop()}: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
}
