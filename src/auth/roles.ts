/**
 * Who may call what: every RPC of the wire is open to a set of roles. A node credential may attach,
 * fetch code and read the input files of the jobs it serves (Inputs); a client credential may use the Jobs service and register and look up assets (Assets);
 * a viewer credential may only read: get, list and watch jobs, get and list assets (and read the web
 * UI, src/web/access.ts). Anything not listed here is refused to everyone holding a credential (a new
 * RPC must be given its roles before any credential can reach it).
 */
import { AssetsService, ClusterService, CodeService, InputsService, JobsService } from '../gen/parajob/v1/parajob.js';

/** The kinds of credential. */
export type Role = 'node' | 'client' | 'viewer';

export const ROLES: readonly Role[] = ['node', 'client', 'viewer'];

/** True when `text` names a role. */
export function isRole(text: string): text is Role {
  return (ROLES as readonly string[]).includes(text);
}

/** The methods that only read (a viewer may call them). */
const READS = new Set<string>([
  JobsService.get.path,
  JobsService.list.path,
  JobsService.watch.path,
  AssetsService.getComponent.path,
  AssetsService.listComponents.path,
  AssetsService.getData.path,
  AssetsService.listData.path,
]);

const NODE: readonly Role[] = ['node'];
const CLIENT: readonly Role[] = ['client'];
const READER: readonly Role[] = ['client', 'viewer'];

function pathsOf(service: Record<string, { readonly path: string }>): string[] {
  return Object.values(service).map((method) => method.path);
}

/** gRPC method path (`/parajob.v1.Jobs/Submit`) → the roles allowed to call it. */
export const METHOD_ROLES: ReadonlyMap<string, readonly Role[]> = new Map([
  ...pathsOf(ClusterService).map((path) => [path, NODE] as const),
  ...pathsOf(CodeService).map((path) => [path, NODE] as const),
  ...pathsOf(InputsService).map((path) => [path, NODE] as const),
  ...[...pathsOf(JobsService), ...pathsOf(AssetsService)].map(
    (path) => [path, READS.has(path) ? READER : CLIENT] as const,
  ),
]);

/** "a client credential", "a client or viewer credential": for refusals. */
export function describeRoles(roles: readonly Role[]): string {
  return `a ${roles.join(' or ')} credential`;
}
