/**
 * Node certificates: what binds a node's name to its key. The node makes an ECDSA P-256 key and a
 * PKCS#10 request (the key never leaves it); the coordinator's CA signs the request's public key as a
 * TLS client certificate for `parajob://node/<name>` (URI SAN; CN the name too), whatever subject the
 * request asked for. node:crypto reads certificates but cannot write requests or certificates:
 * @peculiar/x509 (already the PKI's library, pki.ts) does, over WebCrypto.
 */
import 'reflect-metadata';

import { webcrypto, X509Certificate as NodeX509 } from 'node:crypto';

import * as x509 from '@peculiar/x509';

import { ALGORITHM, DAY_MS, importPrivateKey, type Pair, privateKeyPem, serial } from './pki.js';

/** The URI SAN naming a node: `parajob://node/<name>`. */
export const NODE_URI_PREFIX = 'parajob://node/';
/** How long a node certificate is valid. */
export const NODE_CERT_DAYS = 365;
const CLIENT_AUTH_OID = '1.3.6.1.5.5.7.3.2';
/** Names a certificate may bind: node ids as the coordinator keeps them (folder names in run dirs). */
const NODE_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;

/** Why `name` cannot be bound by a certificate; undefined when it can. */
export function nodeNameProblem(name: string): string | undefined {
  return NODE_NAME.test(name)
    ? undefined
    : `node name ${JSON.stringify(name)} cannot be bound by a certificate: use letters, digits, '.', '_' and '-' (at most 128, not starting with '.')`;
}

/** A fresh key (PEM, PKCS#8) and a certificate request for `name` signed by it. */
export async function makeNodeRequest(name: string): Promise<{ readonly keyPem: string; readonly csrPem: string }> {
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: `CN=${name}`,
    keys,
    signingAlgorithm: ALGORITHM,
  });
  return { keyPem: await privateKeyPem(keys.privateKey), csrPem: csr.toString('pem') };
}

/** A node certificate as issued. */
export interface IssuedNodeCertificate {
  readonly certPem: string;
  /** As node:crypto spells it (X509Certificate.serialNumber): the key of the revocation list. */
  readonly serialNumber: string;
  readonly notAfter: Date;
}

/**
 * Signs `csrPem`'s public key with `ca` for `name`, valid `days` from now. Throws TypeError when the
 * request is not a PKCS#10 request signed by the key it carries.
 */
export async function issueNodeCertificate(
  ca: Pair,
  name: string,
  csrPem: string,
  days: number = NODE_CERT_DAYS,
): Promise<IssuedNodeCertificate> {
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(csrPem);
  } catch (error) {
    throw new TypeError(`csr_pem is not a PKCS#10 certificate request: ${(error as Error).message}`);
  }
  if (!(await csr.verify())) throw new TypeError('csr_pem is not signed by the key it carries');
  const caCert = new x509.X509Certificate(ca.certPem);
  const now = Date.now();
  const notAfter = new Date(now + days * DAY_MS);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${name}`,
    issuer: caCert.subject,
    notBefore: new Date(now - 60_000),
    notAfter,
    signingKey: await importPrivateKey(ca.keyPem),
    publicKey: csr.publicKey,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([CLIENT_AUTH_OID]),
      new x509.SubjectAlternativeNameExtension([{ type: 'url', value: `${NODE_URI_PREFIX}${name}` }]),
    ],
  });
  const certPem = cert.toString('pem');
  return { certPem, serialNumber: new NodeX509(certPem).serialNumber, notAfter };
}

/** The node a certificate names (its `parajob://node/` URI SAN); undefined when it names none. */
export function nodeNameOfCertificate(cert: NodeX509): string | undefined {
  for (const entry of (cert.subjectAltName ?? '').split(',')) {
    const value = entry.trim();
    if (value.startsWith(`URI:${NODE_URI_PREFIX}`)) {
      const name = value.slice(`URI:${NODE_URI_PREFIX}`.length);
      return nodeNameProblem(name) === undefined ? name : undefined;
    }
  }
  return undefined;
}
