/**
 * A CA's fingerprint, kubeadm-style: `sha256:<hex>` of its SubjectPublicKeyInfo (DER). Survives
 * re-issuing the CA certificate with the same key; printed by the coordinator, pinned by nodes.
 */
import { createHash, X509Certificate } from 'node:crypto';

/** `sha256:<hex>` of the certificate's public key. */
export function caHashOf(certificate: X509Certificate | string | Buffer): string {
  const cert = certificate instanceof X509Certificate ? certificate : new X509Certificate(certificate);
  const spki = cert.publicKey.export({ type: 'spki', format: 'der' });
  return `sha256:${createHash('sha256').update(spki).digest('hex')}`;
}

/** Normalises a user-given hash (`sha256:HEX` or bare HEX); throws TypeError when malformed. */
export function parseCaHash(text: string): string {
  const hex = text
    .trim()
    .replace(/^sha256:/i, '')
    .toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hex))
    throw new TypeError(`--ca-hash must be sha256:<64 hex digits>, got ${JSON.stringify(text)}`);
  return `sha256:${hex}`;
}
