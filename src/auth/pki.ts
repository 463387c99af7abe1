/**
 * The coordinator's PKI, made on first start in `<data dir>/pki/`: a CA (ca.crt, ca.key) and the
 * server's certificate (server.crt: the server's then the CA's, server.key) with SANs from
 * `--advertise` plus localhost and 127.0.0.1. Keys are ECDSA P-256, files 0600, the folder 0700.
 * node:crypto cannot write X.509 certificates; @peculiar/x509 does, over WebCrypto (pure JS).
 *
 * A later start reuses the CA and re-issues the server certificate when the advertised names changed.
 */
import 'reflect-metadata';

import { webcrypto, X509Certificate as NodeX509 } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';

import * as x509 from '@peculiar/x509';

import { caHashOf } from './ca-hash.js';

// @peculiar/x509 uses the global WebCrypto (globalThis.crypto, Node >= 19) unless told otherwise.
type CryptoKey = webcrypto.CryptoKey;

/** Every key of the cluster: ECDSA P-256, signatures with SHA-256. */
export const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
export const DAY_MS = 86_400_000;
const CA_DAYS = 3650;
const SERVER_DAYS = 825;
const SERVER_AUTH_OID = '1.3.6.1.5.5.7.3.1';

/** The PEMs a TLS server needs, and the CA's fingerprint for join lines. */
export interface ServerPki {
  readonly dir: string;
  readonly caPem: string;
  /** The server certificate followed by the CA's (clients pinning a hash learn the CA from it). */
  readonly certChainPem: string;
  readonly keyPem: string;
  /** `sha256:<hex>` of the CA's public key. */
  readonly caHash: string;
  /** True when this call created the CA (the coordinator's first start). */
  readonly created: boolean;
}

/** Where a data dir keeps its PKI. */
export function pkiDir(dataDir: string): string {
  return join(dataDir, 'pki');
}

/** Loads the PKI of `dataDir`, creating the CA and (re)issuing the server certificate as needed. */
export async function ensureServerPki(dataDir: string, advertise: readonly string[]): Promise<ServerPki> {
  const dir = pkiDir(dataDir);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  const names = [...new Set([...advertise, 'localhost', '127.0.0.1'].map((name) => name.trim()).filter(Boolean))];
  let ca = await loadPair(dir, 'ca');
  const created = ca === undefined;
  if (ca === undefined) {
    ca = await createCa();
    await writePair(dir, 'ca', ca);
  }
  let server = await loadPair(dir, 'server');
  if (server === undefined || !coversNames(server.certPem, names) || !issuedBy(server.certPem, ca.certPem)) {
    server = await createServerCertificate(ca, names);
    await writePair(dir, 'server', server);
  }
  return {
    dir,
    caPem: ca.certPem,
    certChainPem: `${server.certPem.trim()}\n${ca.certPem.trim()}\n`,
    keyPem: server.keyPem,
    caHash: caHashOf(ca.certPem),
    created,
  };
}

/** A certificate and its private key (PEM). */
export interface Pair {
  readonly certPem: string;
  readonly keyPem: string;
}

async function createCa(): Promise<Pair> {
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: 'CN=parajob cluster CA',
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + CA_DAYS * DAY_MS),
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await privateKeyPem(keys.privateKey) };
}

async function createServerCertificate(ca: Pair, names: readonly string[]): Promise<Pair> {
  const caCert = new x509.X509Certificate(ca.certPem);
  const caKey = await importPrivateKey(ca.keyPem);
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: 'CN=parajob coordinator',
    issuer: caCert.subject,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + SERVER_DAYS * DAY_MS),
    signingKey: caKey,
    publicKey: keys.publicKey,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([SERVER_AUTH_OID]),
      new x509.SubjectAlternativeNameExtension(
        names.map((name) =>
          isIP(name) ? { type: 'ip' as const, value: name } : { type: 'dns' as const, value: name },
        ),
      ),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await privateKeyPem(keys.privateKey) };
}

function coversNames(certPem: string, names: readonly string[]): boolean {
  const cert = new NodeX509(certPem);
  const sans = (cert.subjectAltName ?? '').split(',').map((entry) => entry.trim().replace(/^(DNS|IP Address):/, ''));
  return names.every((name) => sans.includes(name)) && Date.parse(cert.validTo) > Date.now() + 30 * DAY_MS;
}

function issuedBy(certPem: string, caPem: string): boolean {
  return new NodeX509(certPem).checkIssued(new NodeX509(caPem));
}

/** The `<name>.crt` and `<name>.key` of `dir`; undefined when either is missing. */
export async function loadPair(dir: string, name: string): Promise<Pair | undefined> {
  try {
    return {
      certPem: await readFile(join(dir, `${name}.crt`), 'utf8'),
      keyPem: await readFile(join(dir, `${name}.key`), 'utf8'),
    };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Key first, then certificate, each by write-to-temp + rename (a crash leaves no half file). */
export async function writePair(dir: string, name: string, pair: Pair): Promise<void> {
  for (const [file, text, mode] of [
    [`${name}.key`, pair.keyPem, 0o600],
    [`${name}.crt`, pair.certPem, 0o644],
  ] as const) {
    const temp = join(dir, `.${file}.${process.pid}.tmp`);
    await writeFile(temp, text, { mode });
    await rename(temp, join(dir, file));
  }
}

export async function privateKeyPem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN PRIVATE KEY-----\n${lines.join('\n')}\n-----END PRIVATE KEY-----\n`;
}

export async function importPrivateKey(pem: string): Promise<CryptoKey> {
  const der = Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
  return webcrypto.subtle.importKey('pkcs8', der, ALGORITHM, false, ['sign']);
}

/** A fresh certificate serial number (hex). */
export function serial(): string {
  // Positive 128-bit serial: top bit cleared.
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return Buffer.from(bytes).toString('hex');
}
