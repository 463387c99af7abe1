/**
 * The coordinator's TLS credentials. With the cluster CA given, the server asks every client for a
 * certificate but does not demand one: a node's certificate (mTLS) is verified against the CA and
 * read by the interceptor; a client without one (a token over TLS) still connects.
 *
 * grpc-js's `createSsl(ca, pairs, true)` would refuse every client without a certificate, and
 * `false` asks none; its certificate-provider credentials (grpc-js `experimental`) take
 * `requireClientCertificate` separately, so a static provider gives "request, verify, not require".
 */
import { experimental, ServerCredentials } from '@grpc/grpc-js';

/** The server's key and chain (PEM), and the CA whose certificates identify nodes. */
export interface ServerTls {
  readonly keyPem: string;
  readonly certChainPem: string;
  /** The cluster CA (PEM): client certificates it signed are verified; undefined: none asked. */
  readonly caPem?: string;
}

export function serverCredentials(tls: ServerTls | undefined): ServerCredentials {
  if (tls === undefined) return ServerCredentials.createInsecure();
  const identity = { certificate: Buffer.from(tls.certChainPem), privateKey: Buffer.from(tls.keyPem) };
  if (tls.caPem === undefined)
    return ServerCredentials.createSsl(
      null,
      [{ private_key: identity.privateKey, cert_chain: identity.certificate }],
      false,
    );
  const provider = staticProvider(identity, { caCertificate: Buffer.from(tls.caPem) });
  return experimental.createCertificateProviderServerCredentials(provider, provider, false);
}

/**
 * A certificate provider that never changes. It answers a new listener on the next microtask, not at
 * once: grpc-js adds its server's watcher only after the provider's listeners (server-credentials.js
 * `_addWatcher`), so an answer given at once would reach no server and every connection be dropped.
 */
function staticProvider(
  identity: experimental.IdentityCertificateUpdate,
  ca: experimental.CaCertificateUpdate,
): experimental.CertificateProvider {
  return {
    addCaCertificateListener: (listener) => queueMicrotask(() => listener(ca)),
    removeCaCertificateListener: () => undefined,
    addIdentityCertificateListener: (listener) => queueMicrotask(() => listener(identity)),
    removeIdentityCertificateListener: () => undefined,
  };
}
