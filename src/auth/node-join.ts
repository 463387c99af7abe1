/**
 * How `parajob node` reaches its coordinator when it has a state dir (node-identity.ts):
 *
 * 1. A usable certificate there (its name, not expired, from the CA pinned by --ca/--ca-hash if
 *    given): attach over mutual TLS with it; no token is needed or sent. Less than RENEW_WITHIN_MS
 *    before expiry it is renewed first (Cluster.Join over mTLS; on failure the old one is used).
 * 2. Else, with a token and a CA to dial over TLS: join once (Cluster.Join with a request for a key
 *    made here), store key, certificate and CA, and attach over mTLS with them.
 * 3. Else: the token as a bearer, as before (a plaintext loopback coordinator, `parajob run`).
 */
import { readFileSync } from 'node:fs';

import { Metadata } from '@grpc/grpc-js';
import type { Logger } from 'pino';

import { ParajobError } from '../errors.js';
import { ClusterClient, type JoinResponse } from '../gen/parajob/v1/parajob.js';
import { firstReady, resolveDialAny } from '../rpc/coordinator-list.js';
import { deadlineIn } from '../rpc/options.js';
import { caHashOf } from './ca-hash.js';
import { certificateDial, type Dial, type DialAuth } from './dial.js';
import { makeNodeRequest } from './node-certificates.js';
import { loadIdentity, type NodeIdentity, saveIdentity, type StoredIdentity } from './node-identity.js';
import { DAY_MS } from './pki.js';

/** The node cannot get or use a certificate: no usable one stored and no token, or Join refused. */
export class NodeIdentityError extends ParajobError {
  override readonly name = 'NodeIdentityError';
}

/** A certificate closer than this to its expiry is renewed when the node starts. */
export const RENEW_WITHIN_MS = 30 * DAY_MS;
/** How long one Join call may take once a coordinator answers. */
const JOIN_DEADLINE_MS = 30_000;

export interface NodeDialOptions {
  /** The node's name: the certificate binds it. */
  readonly name: string;
  readonly stateDir: string;
  /** How long to wait for a coordinator to answer a Join. */
  readonly waitMs: number;
  readonly logger: Logger;
}

/** Credentials for a node with a state dir (see the module comment). */
export async function resolveNodeDial(
  addresses: readonly string[],
  auth: DialAuth,
  options: NodeDialOptions,
): Promise<Dial> {
  const stored = await loadIdentity(options.stateDir);
  const problem = stored === undefined ? undefined : identityProblem(stored, options.name, auth);
  if (stored !== undefined && problem === undefined) {
    return certificateDial(await renewedIfDue(addresses, stored, options));
  }
  const tls = auth.caFile !== undefined || auth.caHash !== undefined;
  if (auth.token !== undefined && tls) {
    if (problem !== undefined)
      options.logger.info({ stateDir: options.stateDir, problem }, 'stored node certificate unusable: joining again');
    const identity = await join(addresses, await resolveDialAny(addresses, auth), options);
    return certificateDial(identity);
  }
  if (problem !== undefined) {
    throw new NodeIdentityError(
      `the node certificate in ${options.stateDir} cannot be used: ${problem}; give --token (and --ca or --ca-hash) to join again`,
    );
  }
  return resolveDialAny(addresses, auth);
}

/** Why `stored` cannot be used by node `name` under `auth`; undefined when it can. */
export function identityProblem(
  stored: StoredIdentity,
  name: string,
  auth: DialAuth,
  nowMs = Date.now(),
): string | undefined {
  if (stored.name !== name) return `it is node ${String(stored.name)}'s certificate, not ${name}'s`;
  if (stored.notAfterMs <= nowMs) return `it expired at ${new Date(stored.notAfterMs).toISOString()}`;
  if (auth.caHash !== undefined && auth.caHash !== stored.caHash)
    return `it was issued by CA ${stored.caHash}, not the pinned ${auth.caHash}`;
  if (auth.caFile !== undefined && stored.caHash !== caHashOfFile(auth.caFile))
    return `it was issued by CA ${stored.caHash}, not the one in ${auth.caFile}`;
  return undefined;
}

function caHashOfFile(file: string): string {
  return caHashOf(readFileSync(file));
}

/** Renews `stored` over mTLS when it expires within RENEW_WITHIN_MS; the old one when renewal fails. */
async function renewedIfDue(
  addresses: readonly string[],
  stored: StoredIdentity,
  options: NodeDialOptions,
): Promise<NodeIdentity> {
  if (stored.notAfterMs - Date.now() > RENEW_WITHIN_MS) return stored;
  try {
    return await join(addresses, certificateDial(stored), options);
  } catch (error) {
    options.logger.warn(
      { err: error, notAfter: new Date(stored.notAfterMs).toISOString() },
      'node certificate renewal failed: using the current one',
    );
    return stored;
  }
}

/** Cluster.Join at the first of `addresses` that answers; stores and returns the new identity. */
async function join(addresses: readonly string[], dial: Dial, options: NodeDialOptions): Promise<NodeIdentity> {
  const { keyPem, csrPem } = await makeNodeRequest(options.name);
  const clients = addresses.map((address) => new ClusterClient(address, dial.credentials, dial.options));
  try {
    const client = clients[await firstReady(clients, options.waitMs)] as ClusterClient;
    const response = await new Promise<JoinResponse>((resolveResponse, reject) =>
      client.join(
        { name: options.name, csrPem },
        new Metadata(),
        { deadline: deadlineIn(JOIN_DEADLINE_MS) },
        (error, answer) =>
          error
            ? reject(new NodeIdentityError(`joining as node ${options.name} failed: ${error.details || error.message}`))
            : resolveResponse(answer),
      ),
    );
    const identity = { keyPem, certPem: response.certificatePem, caPem: response.caPem };
    const joined = { name: response.name, stateDir: options.stateDir, notAfter: response.notAfter };
    try {
      await saveIdentity(options.stateDir, identity);
      options.logger.info(joined, 'joined: node certificate stored; attaching over mutual TLS');
    } catch (error) {
      // A read-only home (a container) must not stop the node: the certificate serves this run.
      options.logger.warn(
        { ...joined, err: error },
        'joined, but the node certificate could not be stored (give --state-dir a writable folder): it serves this run only',
      );
    }
    return identity;
  } finally {
    for (const client of clients) client.close();
  }
}
