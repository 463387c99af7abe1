/**
 * What `parajob coordinator`'s flags mean for its security (the CLI verb only prints the result):
 *
 * | host        | flags            | TLS                  | credentials           |
 * | loopback    | (none)           | no                   | asked of no one       |
 * | loopback    | --require-auth   | no (loopback only)   | required              |
 * | other       | (none)           | yes, <data dir>/pki  | required              |
 * | other       | --insecure       | no (loud warning)    | only with --require-auth |
 *
 * Tokens always come from `<data dir>/auth/tokens.json`. When the PKI is created (first start with
 * TLS), a node token valid for 24 h is minted too, for the join line the coordinator prints. With
 * TLS, nodes trade a node token for a certificate (Cluster.Join) and attach over mTLS afterwards.
 */
import { hostname } from 'node:os';

import { insecureWarning, isLoopbackHost } from './binding.js';
import type { AuthPolicy } from './interceptor.js';
import { NodeCertAuthority } from './join-service.js';
import { ensureServerPki } from './pki.js';
import type { ServerTls } from './server-credentials.js';
import { TokenStore } from './token-store.js';

/** Validity of the node token minted on first start. */
export const FIRST_JOIN_TOKEN_TTL_MS = 24 * 3_600_000;

export interface ServerSecurityFlags {
  readonly dataDir: string;
  readonly host: string;
  /** Names clients use to reach this coordinator (the server certificate's SANs). */
  readonly advertise: readonly string[];
  readonly insecure: boolean;
  readonly requireAuth: boolean;
}

export interface ServerSecurity {
  readonly auth: AuthPolicy;
  readonly tls?: ServerTls;
  /** Issues node certificates (Cluster.Join), when TLS is on. */
  readonly nodeCerts?: NodeCertAuthority;
  readonly insecure: boolean;
  /** Loud lines for stderr. */
  readonly warnings: readonly string[];
  /** The CA fingerprint, when TLS is on. */
  readonly caHash?: string;
  /** A node token minted now (first start): shown once in the join line. */
  readonly joinToken?: string;
}

/** Decides TLS and credentials from the flags, creating the PKI on first need. */
export async function prepareServerSecurity(flags: ServerSecurityFlags): Promise<ServerSecurity> {
  const tokens = TokenStore.forDataDir(flags.dataDir);
  const loopback = isLoopbackHost(flags.host);
  if (loopback || flags.insecure) {
    const warnings = loopback ? [] : [insecureWarning(flags.host, flags.requireAuth)];
    return { auth: { requireAuth: flags.requireAuth, tokens }, insecure: !loopback, warnings };
  }
  const pki = await ensureServerPki(flags.dataDir, advertisedNames(flags));
  const joinToken = pki.created
    ? tokens.create('node', { ttlMs: FIRST_JOIN_TOKEN_TTL_MS, description: 'made on first start' })
    : undefined;
  const nodeCerts = new NodeCertAuthority(flags.dataDir);
  return {
    auth: { requireAuth: true, tokens, certs: nodeCerts.store },
    tls: { keyPem: pki.keyPem, certChainPem: pki.certChainPem, caPem: pki.caPem },
    nodeCerts,
    insecure: false,
    warnings: [],
    caHash: pki.caHash,
    ...(joinToken === undefined ? {} : { joinToken }),
  };
}

/** The names in the server certificate: --advertise, else the host (a wildcard: this machine's name). */
export function advertisedNames(flags: Pick<ServerSecurityFlags, 'host' | 'advertise'>): string[] {
  if (flags.advertise.length > 0) return [...flags.advertise];
  return flags.host === '0.0.0.0' || flags.host === '::' ? [hostname()] : [flags.host];
}

/** The `parajob node ...` line an operator copies to a node machine. */
export function joinLine(address: string, security: ServerSecurity): string | undefined {
  if (security.caHash === undefined) return undefined;
  const token = security.joinToken ?? '<parajob token create --role node>';
  return `parajob node --coordinator ${address} --token ${token} --ca-hash ${security.caHash}`;
}
