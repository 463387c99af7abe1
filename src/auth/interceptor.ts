/**
 * The one place that decides who may call what: a grpc-js server interceptor. It reads the bearer
 * token of each call (`authorization: Bearer <token>` metadata), finds its principal, checks the
 * method's role (roles.ts), and hands the services the principal in the `parajob-principal` metadata
 * entry (any such entry sent by the caller is dropped first). Services never look at credentials.
 *
 * Without `requireAuth` (a loopback coordinator's default), a call without a token is anonymous and
 * may call anything; a token that is given is still checked, and a bad one refused.
 */
import {
  Metadata,
  ServerInterceptingCall,
  type ServerInterceptingCallInterface,
  type ServerInterceptor,
  ServerListenerBuilder,
  status,
} from '@grpc/grpc-js';

import { describeRoles, isRole, METHOD_ROLES } from './roles.js';
import type { Principal, TokenVerifier } from './tokens.js';

/** Metadata key carrying the authenticated principal from the interceptor to the services. */
export const PRINCIPAL_METADATA_KEY = 'parajob-principal';

/** How the server authenticates. */
export interface AuthPolicy {
  /** Refuse calls without a valid token. */
  readonly requireAuth: boolean;
  readonly tokens: TokenVerifier;
}

/** The principal the interceptor attached to a call; undefined: anonymous (auth not required). */
export function principalOf(metadata: Metadata): Principal | undefined {
  const value = metadata.get(PRINCIPAL_METADATA_KEY)[0];
  if (typeof value !== 'string' || value === 'anonymous') return undefined;
  const [role, tokenId] = value.split(':');
  return role !== undefined && isRole(role) ? { role, tokenId: tokenId ?? '' } : undefined;
}

/** What to do with a call's metadata: the principal to pass on, or the refusal. */
export function authorize(
  policy: AuthPolicy,
  method: string,
  metadata: Metadata,
): { readonly principal: Principal | undefined } | { readonly code: status; readonly details: string } {
  const token = bearerToken(metadata);
  if (token === undefined) {
    if (!policy.requireAuth) return { principal: undefined };
    return { code: status.UNAUTHENTICATED, details: `${method} needs a token (--token or PARAJOB_TOKEN)` };
  }
  const verified = policy.tokens.verify(token);
  if ('refused' in verified) return { code: status.UNAUTHENTICATED, details: `token refused: ${verified.refused}` };
  const roles = METHOD_ROLES.get(method);
  if (roles === undefined)
    return { code: status.PERMISSION_DENIED, details: `${method} is not open to any credential` };
  if (!roles.includes(verified.role)) {
    return {
      code: status.PERMISSION_DENIED,
      details: `a ${verified.role} credential may not call ${method} (it needs ${describeRoles(roles)})`,
    };
  }
  return { principal: verified };
}

/** The server interceptor applying `policy` to every call. */
export function authInterceptor(policy: AuthPolicy): ServerInterceptor {
  return (methodDescriptor, call: ServerInterceptingCallInterface) => {
    const intercepting: ServerInterceptingCall = new ServerInterceptingCall(call, {
      start: (next) => {
        next(
          new ServerListenerBuilder()
            .withOnReceiveMetadata((metadata, passOn) => {
              const decision = authorize(policy, methodDescriptor.path, metadata);
              if ('code' in decision) {
                intercepting.sendStatus({ code: decision.code, details: decision.details, metadata: new Metadata() });
                return;
              }
              metadata.remove(PRINCIPAL_METADATA_KEY);
              const principal = decision.principal;
              metadata.set(
                PRINCIPAL_METADATA_KEY,
                principal === undefined ? 'anonymous' : `${principal.role}:${principal.tokenId}`,
              );
              passOn(metadata);
            })
            .build(),
        );
      },
    });
    return intercepting;
  };
}

function bearerToken(metadata: Metadata): string | undefined {
  const value = metadata.get('authorization')[0];
  if (typeof value !== 'string') return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(value);
  return match?.[1] ?? value.trim();
}
