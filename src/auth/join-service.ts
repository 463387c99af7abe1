/**
 * Cluster.Join on the coordinator: a node presenting a node token (or, to renew, its own node
 * certificate) and a certificate request gets a client certificate for its name, signed by the CA
 * of `<data dir>/pki`, and recorded in `<data dir>/auth/node-certs.json` (node-cert-store.ts).
 *
 * A name stays with the credential that first joined it: while a certificate for the name is live,
 * another token cannot get one (`parajob node revoke NAME` frees it), so a node token cannot mint
 * the identity of a node that joined with another token.
 */
import { type sendUnaryData, type ServerUnaryCall, type ServiceError, status } from '@grpc/grpc-js';

import type { JoinRequest, JoinResponse } from '../gen/parajob/v1/parajob.js';
import { principalOf } from './interceptor.js';
import { NodeCertStore } from './node-cert-store.js';
import { issueNodeCertificate, NODE_CERT_DAYS, nodeNameProblem } from './node-certificates.js';
import { loadPair, pkiDir } from './pki.js';
import type { Principal } from './tokens.js';

/** A Join refused, with its gRPC status. */
class JoinRefused extends Error {
  constructor(
    readonly code: status,
    readonly details: string,
  ) {
    super(details);
  }
}

/** Issues node certificates from a data dir's CA. */
export class NodeCertAuthority {
  readonly store: NodeCertStore;

  constructor(
    readonly dataDir: string,
    private readonly days: number = NODE_CERT_DAYS,
  ) {
    this.store = NodeCertStore.forDataDir(dataDir);
  }

  /** The certificate for `request`, asked by `principal`; throws JoinRefused. */
  async join(request: JoinRequest, principal: Principal | undefined): Promise<JoinResponse> {
    const name = request.name.trim();
    if (principal === undefined) throw new JoinRefused(status.UNAUTHENTICATED, 'Join needs a node token');
    const problem = nodeNameProblem(name);
    if (problem !== undefined) throw new JoinRefused(status.INVALID_ARGUMENT, problem);
    if (principal.nodeName !== undefined && principal.nodeName !== name) {
      throw new JoinRefused(
        status.PERMISSION_DENIED,
        `the certificate of node ${principal.nodeName} may renew only its own name, not ${name}`,
      );
    }
    const live = this.store.live(name);
    const joinedWith = principal.nodeName === name ? (live[0]?.joinedWith ?? principal.tokenId) : principal.tokenId;
    if (live.some((record) => record.joinedWith !== joinedWith)) {
      throw new JoinRefused(
        status.FAILED_PRECONDITION,
        `node name ${name} holds a live certificate joined with another token; to give the name to another node, revoke it first (parajob node revoke ${name})`,
      );
    }
    const ca = await loadPair(pkiDir(this.dataDir), 'ca');
    if (ca === undefined)
      throw new JoinRefused(status.FAILED_PRECONDITION, 'this coordinator has no CA: node certificates need TLS');
    let issued;
    try {
      issued = await issueNodeCertificate(ca, name, request.csrPem, this.days);
    } catch (error) {
      if (error instanceof TypeError) throw new JoinRefused(status.INVALID_ARGUMENT, error.message);
      throw error;
    }
    this.store.add({
      name,
      serialNumber: issued.serialNumber,
      issuedAt: new Date().toISOString(),
      notAfter: issued.notAfter.toISOString(),
      joinedWith,
    });
    return { name, certificatePem: issued.certPem, caPem: ca.certPem, notAfter: issued.notAfter.toISOString() };
  }
}

/** The Cluster.Join handler; without an authority (no TLS), every Join is refused. */
export function joinHandler(
  authority: NodeCertAuthority | undefined,
): (call: ServerUnaryCall<JoinRequest, JoinResponse>, callback: sendUnaryData<JoinResponse>) => void {
  return (call, callback) => {
    if (authority === undefined) {
      callback(refusal(status.FAILED_PRECONDITION, 'this coordinator has no TLS: node certificates need TLS'));
      return;
    }
    authority.join(call.request, principalOf(call.metadata)).then(
      (response) => callback(null, response),
      (error: unknown) =>
        callback(
          error instanceof JoinRefused
            ? refusal(error.code, error.details)
            : refusal(status.INTERNAL, `Join failed: ${(error as Error).message}`),
        ),
    );
  };
}

function refusal(code: status, details: string): Partial<ServiceError> {
  return Object.assign(new Error(details), { code, details });
}
