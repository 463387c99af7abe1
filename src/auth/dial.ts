/**
 * How a node or client dials the coordinator: the channel credentials (plaintext, or TLS trusting the
 * cluster's CA) and the client options adding its bearer token to every call.
 *
 * The CA comes from `--ca FILE` (its PEM) or `--ca-hash sha256:H`: then the CA is learned from the
 * server's own TLS chain on a first connection and kept only if its public key hashes to H (the
 * kubeadm discovery); the real channel then verifies the server against that CA as usual.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { connect, type DetailedPeerCertificate } from 'node:tls';

import {
  type ChannelCredentials,
  type ClientOptions,
  credentials,
  InterceptingCall,
  type Interceptor,
} from '@grpc/grpc-js';

import { CHANNEL_OPTIONS } from '../rpc/options.js';
import { caHashOf, parseCaHash } from './ca-hash.js';

/** The environment variable of the bearer token (`<id>.<secret>`), read when no flag or option gives one. */
export const TOKEN_ENV = 'PARAJOB_TOKEN';
/** The environment variable of the CA to trust (a PEM file, or `sha256:<hash>` of its key), read likewise. */
export const CA_ENV = 'PARAJOB_CA';

/** What a caller knows about reaching the coordinator securely. */
export interface DialAuth {
  /** Bearer token (`<id>.<secret>`). */
  readonly token?: string;
  /** PEM file of the CA to trust (TLS). */
  readonly caFile?: string;
  /** `sha256:<hex>` of the CA's public key to pin (TLS). */
  readonly caHash?: string;
}

/** Credentials and options for a generated gRPC client. */
export interface Dial {
  readonly credentials: ChannelCredentials;
  readonly options: ClientOptions;
}

/** Plaintext, no token: a loopback coordinator that asks no credentials. */
export const PLAINTEXT_DIAL: Dial = { credentials: credentials.createInsecure(), options: CHANNEL_OPTIONS };

/** `--ca` / `--ca-hash` / `PARAJOB_CA` (a file, or `sha256:...`) and `--token` / `PARAJOB_TOKEN`. */
export function dialAuthFrom(
  flags: { readonly token?: string; readonly ca?: string; readonly caHash?: string },
  env: NodeJS.ProcessEnv = process.env,
): DialAuth {
  const token = flags.token ?? env[TOKEN_ENV];
  const ca = flags.ca ?? (flags.caHash === undefined ? env[CA_ENV] : undefined);
  const caHash = flags.caHash ?? (ca?.startsWith('sha256:') ? ca : undefined);
  const caFile = ca !== undefined && !ca.startsWith('sha256:') ? ca : undefined;
  return {
    ...(token ? { token } : {}),
    ...(caFile ? { caFile } : {}),
    ...(caHash ? { caHash: parseCaHash(caHash) } : {}),
  };
}

/** Resolves `auth` into credentials for `address` (`host:port`); may dial once to learn a pinned CA. */
export async function resolveDial(address: string, auth: DialAuth): Promise<Dial> {
  const interceptors = auth.token === undefined ? [] : [bearer(auth.token)];
  let caPem: Buffer | undefined;
  if (auth.caFile !== undefined) caPem = readFileSync(auth.caFile);
  else if (auth.caHash !== undefined) caPem = await discoverCa(address, auth.caHash);
  return {
    credentials: caPem === undefined ? credentials.createInsecure() : credentials.createSsl(caPem),
    options: { ...CHANNEL_OPTIONS, interceptors },
  };
}

/** Credentials of a node attaching with its certificate (mutual TLS): no token is sent. */
export function certificateDial(identity: {
  readonly keyPem: string;
  readonly certPem: string;
  readonly caPem: string;
}): Dial {
  return {
    credentials: credentials.createSsl(
      Buffer.from(identity.caPem),
      Buffer.from(identity.keyPem),
      Buffer.from(identity.certPem),
    ),
    options: CHANNEL_OPTIONS,
  };
}

/** A client interceptor adding `authorization: Bearer <token>` to every call. */
function bearer(token: string): Interceptor {
  return (options, nextCall) =>
    new InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        metadata.set('authorization', `Bearer ${token}`);
        next(metadata, listener);
      },
    });
}

/** How long the CA discovery connection may take. */
const DISCOVERY_TIMEOUT_MS = 10_000;

/**
 * Connects once without verifying, walks the chain the server sends, and returns the certificate
 * whose public key hashes to `caHash`, after checking that it did sign the server's certificate.
 */
export function discoverCa(address: string, caHash: string): Promise<Buffer> {
  const { host, port } = splitAddress(address);
  return new Promise((resolvePem, reject) => {
    // No verification here: the pin below is the check. SNI only for names (RFC 6066 forbids IPs).
    const socket = connect({
      host,
      port,
      rejectUnauthorized: false,
      ALPNProtocols: ['h2'],
      ...(isIP(host) === 0 ? { servername: host } : {}),
    });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`CA discovery at ${address} timed out after ${DISCOVERY_TIMEOUT_MS} ms`));
    }, DISCOVERY_TIMEOUT_MS);
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`CA discovery at ${address} failed: ${error.message}`));
    });
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      const peer = socket.getPeerCertificate(true);
      socket.end();
      try {
        resolvePem(pinnedCa(peer, caHash, address));
      } catch (error) {
        reject(error as Error);
      }
    });
  });
}

function pinnedCa(peer: DetailedPeerCertificate, caHash: string, address: string): Buffer {
  if (peer.raw === undefined) throw new Error(`${address} sent no certificate`);
  const leaf = new X509Certificate(peer.raw);
  const seen = new Set<string>();
  for (let cert: DetailedPeerCertificate | undefined = peer; cert?.raw !== undefined; cert = cert.issuerCertificate) {
    const fingerprint = cert.fingerprint256;
    if (seen.has(fingerprint)) break;
    seen.add(fingerprint);
    const candidate = new X509Certificate(cert.raw);
    if (caHashOf(candidate) === caHash && candidate.ca && leaf.verify(candidate.publicKey)) {
      return Buffer.from(candidate.toString());
    }
  }
  throw new Error(`the certificate chain of ${address} holds no CA with ${caHash}: refusing to trust it`);
}

function splitAddress(address: string): { host: string; port: number } {
  const match = /^\[?([^\]]+)\]?:(\d+)$/.exec(address);
  if (match === null) throw new TypeError(`coordinator address must be host:port, got ${JSON.stringify(address)}`);
  return { host: match[1] ?? '', port: Number(match[2]) };
}
