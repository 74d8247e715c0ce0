/**
 * Authorization: the role comes only from the verified client certificate (identity.ts).
 * `admin` may call everything; `viewer` may only read. Every RPC is listed; anything not listed
 * is refused (default deny), so a new RPC is closed until someone decides who may call it.
 */
import { type CallContext, type ServerMiddlewareCall } from 'nice-grpc';
import { PermissionDeniedError, UnauthenticatedError } from '../../shared/errors';
import { NAME_KEY, ROLE_KEY } from './identity';

/** Roles a certificate may carry. */
export type Role = 'admin' | 'viewer';

/** What a method does, for authorization. */
type Access = 'read' | 'write';

/** Every RPC of every service, by its short name. */
export const METHOD_ACCESS: Record<string, Access> = {
  RunJob: 'write',
  RunJobStreaming: 'write',
  GetJobStatus: 'read',
  StopJob: 'write',
  CancelJob: 'write',
  DeleteJob: 'write',
  DeleteAllJobs: 'write',
  GetJobLogs: 'read',
  ListJobs: 'read',
  StreamJobMetrics: 'read',
  GetJobMetrics: 'read',
  StreamJobTelematics: 'read',
  GetJobTelematics: 'read',
  CreateNetwork: 'write',
  ListNetworks: 'read',
  RemoveNetwork: 'write',
  CreateVolume: 'write',
  ListVolumes: 'read',
  RemoveVolume: 'write',
  GetSystemStatus: 'read',
  StreamSystemMetrics: 'read',
  ListRuntimes: 'read',
  GetRuntimeInfo: 'read',
  TestRuntime: 'write',
  RemoveRuntime: 'write',
  BuildRuntime: 'write',
  ValidateRuntimeYAML: 'read',
  InstallRuntime: 'write',
  GetServerVersion: 'read',
  ListSchedules: 'read',
  GetSchedule: 'read',
  PauseSchedule: 'write',
  ResumeSchedule: 'write',
  RemoveSchedule: 'write',
  RunWorkflow: 'write',
  GetWorkflowStatus: 'read',
  ListWorkflows: 'read',
  GetWorkflowJobs: 'read',
  ValidateWorkflow: 'read',
  StopWorkflow: 'write',
  RerunWorkflow: 'write',
  DeleteWorkflow: 'write',
  StreamWorkflowStatus: 'read',
};

/** Identity of the caller, added to the call context by the auth middleware. */
export interface CallerContext {
  caller: { role: Role; name: string };
}

/** May `role` call `method`? */
export function isAllowed(role: Role, method: string): boolean {
  const access = METHOD_ACCESS[method];
  if (!access) return false;
  return role === 'admin' || access === 'read';
}

/** nice-grpc middleware: refuse callers without a role or with a role that may not do this. */
export async function* authMiddleware<Req, Res>(call: ServerMiddlewareCall<Req, Res, CallerContext>, context: CallContext) {
  const method = call.method.path.split('/').pop() ?? '';
  const ou = context.metadata.get(ROLE_KEY);
  // The identity interceptor names every verified certificate; no name means no verified certificate.
  const name = context.metadata.get(NAME_KEY);
  if (!name) throw new UnauthenticatedError('no verified client certificate: connect with a certificate issued by this server\'s CA (joblet init makes them)');
  if (!ou) {
    throw new PermissionDeniedError(`certificate '${name}' carries no role: it needs exactly one Subject OU, admin or viewer (certificates from 'joblet init' have one)`);
  }
  if (ou !== 'admin' && ou !== 'viewer') {
    throw new PermissionDeniedError(`certificate role '${ou}' is not allowed to call ${method}: roles are admin and viewer`);
  }
  if (!isAllowed(ou, method)) {
    throw new PermissionDeniedError(`role '${ou}' may not call ${method}: it is read-only; use an admin certificate`);
  }
  return yield* call.next(call.request, { ...context, caller: { role: ou, name } });
}
