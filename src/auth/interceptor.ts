/**
 * The one place that decides who may call what: a grpc-js server interceptor. It reads the bearer
 * token of each call (`authorization: Bearer <token>` metadata) or, without one, the node certificate
 * the TLS layer verified (mTLS, node-cert-store.ts), finds its principal, checks the method's role
 * (roles.ts), and hands the services the principal in the `parajob-principal` metadata entry (any
 * such entry sent by the caller is dropped first). Services never look at credentials. A stream
 * attached with a node certificate may say hello only under the certificate's name.
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

import { ClusterService, type NodeMessage } from '../gen/parajob/v1/parajob.js';
import { nodeNameOfCredential } from './node-cert-store.js';
import { describeRoles, isRole, METHOD_ROLES } from './roles.js';
import type { Principal, TokenVerifier } from './tokens.js';

/** Metadata key carrying the authenticated principal from the interceptor to the services. */
export const PRINCIPAL_METADATA_KEY = 'parajob-principal';

/** How the server authenticates. */
export interface AuthPolicy {
  /** Refuse calls without a valid token. */
  readonly requireAuth: boolean;
  readonly tokens: TokenVerifier;
  /** Node certificates: the principal of a client certificate TLS verified; undefined: certificates are ignored. */
  readonly certs?: { verifyPeer(raw: Buffer): Principal | { readonly refused: string } };
}

/** The principal the interceptor attached to a call; undefined: anonymous (auth not required). */
export function principalOf(metadata: Metadata): Principal | undefined {
  const value = metadata.get(PRINCIPAL_METADATA_KEY)[0];
  if (typeof value !== 'string' || value === 'anonymous') return undefined;
  const colon = value.indexOf(':');
  const role = value.slice(0, colon);
  const tokenId = value.slice(colon + 1);
  if (colon < 0 || !isRole(role)) return undefined;
  const nodeName = nodeNameOfCredential(tokenId);
  return nodeName === undefined ? { role, tokenId } : { role, tokenId, nodeName };
}

/**
 * What to do with a call's metadata (and the client certificate TLS verified, DER): the principal to
 * pass on, or the refusal. A token, when given, wins over the certificate.
 */
export function authorize(
  policy: AuthPolicy,
  method: string,
  metadata: Metadata,
  peerCertificate?: Buffer,
): { readonly principal: Principal | undefined } | { readonly code: status; readonly details: string } {
  const token = bearerToken(metadata);
  let verified: Principal | { readonly refused: string };
  if (token !== undefined) {
    verified = policy.tokens.verify(token);
    if ('refused' in verified) return { code: status.UNAUTHENTICATED, details: `token refused: ${verified.refused}` };
  } else if (peerCertificate !== undefined && policy.certs !== undefined) {
    verified = policy.certs.verifyPeer(peerCertificate);
    if ('refused' in verified)
      return { code: status.UNAUTHENTICATED, details: `certificate refused: ${verified.refused}` };
  } else {
    if (!policy.requireAuth) return { principal: undefined };
    return { code: status.UNAUTHENTICATED, details: `${method} needs a token (--token or PARAJOB_TOKEN)` };
  }
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
    let boundName: string | undefined;
    const refuse = (code: status, details: string): void =>
      intercepting.sendStatus({ code, details, metadata: new Metadata() });
    const intercepting: ServerInterceptingCall = new ServerInterceptingCall(call, {
      start: (next) => {
        next(
          new ServerListenerBuilder()
            .withOnReceiveMetadata((metadata, passOn) => {
              const peer = call.getAuthContext().sslPeerCertificate?.raw;
              const decision = authorize(policy, methodDescriptor.path, metadata, peer);
              if ('code' in decision) {
                refuse(decision.code, decision.details);
                return;
              }
              metadata.remove(PRINCIPAL_METADATA_KEY);
              const principal = decision.principal;
              if (methodDescriptor.path === ClusterService.attach.path) boundName = principal?.nodeName;
              metadata.set(
                PRINCIPAL_METADATA_KEY,
                principal === undefined ? 'anonymous' : `${principal.role}:${principal.tokenId}`,
              );
              passOn(metadata);
            })
            .withOnReceiveMessage((message, passOn) => {
              const refusal = boundName === undefined ? undefined : helloRefusal(boundName, message as NodeMessage);
              if (refusal === undefined) passOn(message);
              else refuse(status.PERMISSION_DENIED, refusal);
            })
            .build(),
        );
      },
    });
    return intercepting;
  };
}

/**
 * Why a stream authenticated by node `name`'s certificate may not send this hello: it asks another
 * name, or the id of another node (its own id is its name, or `name-N` when a stale holder kept it).
 */
export function helloRefusal(name: string, message: NodeMessage): string | undefined {
  if (message.kind?.$case !== 'hello') return undefined;
  const hello = message.kind.value;
  if (hello.name.trim() !== name)
    return `this certificate is node ${name}'s: it may not attach as ${JSON.stringify(hello.name)}`;
  const id = hello.nodeId;
  const renamed = id.startsWith(`${name}-`) && /^\d+$/.test(id.slice(name.length + 1));
  if (id !== '' && id !== name && !renamed)
    return `this certificate is node ${name}'s: it may not take node id ${JSON.stringify(id)}`;
  return undefined;
}

function bearerToken(metadata: Metadata): string | undefined {
  const value = metadata.get('authorization')[0];
  if (typeof value !== 'string') return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(value);
  return match?.[1] ?? value.trim();
}
