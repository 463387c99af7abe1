/**
 * Who may call what: every RPC of the wire belongs to one role. A node credential may attach and fetch
 * code; a client credential may use the Jobs service and register and look up assets (Assets). Anything not listed here is refused to everyone
 * holding a credential (a new RPC must be given a role before any credential can reach it).
 */
import { AssetsService, ClusterService, CodeService, JobsService } from '../gen/parajob/v1/parajob.js';

/** The two kinds of credential. */
export type Role = 'node' | 'client';

export const ROLES: readonly Role[] = ['node', 'client'];

/** True when `text` names a role. */
export function isRole(text: string): text is Role {
  return (ROLES as readonly string[]).includes(text);
}

function pathsOf(service: Record<string, { readonly path: string }>): string[] {
  return Object.values(service).map((method) => method.path);
}

/** gRPC method path (`/parajob.v1.Jobs/Submit`) → the role allowed to call it. */
export const METHOD_ROLES: ReadonlyMap<string, Role> = new Map([
  ...pathsOf(ClusterService).map((path) => [path, 'node'] as const),
  ...pathsOf(CodeService).map((path) => [path, 'node'] as const),
  ...pathsOf(JobsService).map((path) => [path, 'client'] as const),
  ...pathsOf(AssetsService).map((path) => [path, 'client'] as const),
]);
