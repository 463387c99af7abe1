/**
 * The node certificates a coordinator issued, and which are revoked: `<data dir>/auth/node-certs.json`
 * (0600), written by the coordinator when a node joins and by `parajob node revoke NAME`, read by the
 * interceptor on every call made with a certificate (a revocation takes effect on the next call;
 * streams already open stay open). Records of certificates long expired are dropped on the next write.
 */
import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';

import { nodeNameOfCertificate } from './node-certificates.js';
import type { Principal } from './tokens.js';
import { WatchedJsonFile } from './watched-json-file.js';

/** One issued certificate. */
export interface NodeCertRecord {
  readonly name: string;
  /** As node:crypto spells it (X509Certificate.serialNumber). */
  readonly serialNumber: string;
  readonly issuedAt: string;
  readonly notAfter: string;
  /**
   * The credential the name was first joined with (a token id); a renewal inherits it. Another
   * credential cannot take the name while a certificate for it is live.
   */
  readonly joinedWith: string;
  readonly revokedAt?: string;
}

/** Where a data dir keeps its node certificates' records. */
export function nodeCertFilePath(dataDir: string): string {
  return join(dataDir, 'auth', 'node-certs.json');
}

/** The credential id of a node certificate (node ids are bound to it, as to a token's id). */
export function certCredentialId(name: string): string {
  return `cert/${name}`;
}

/** The node named by a credential id, when it is a node certificate's. */
export function nodeNameOfCredential(credentialId: string): string | undefined {
  return credentialId.startsWith('cert/') ? credentialId.slice('cert/'.length) : undefined;
}

/** How long a record outlives its certificate before it is dropped. */
const KEEP_EXPIRED_MS = 7 * 86_400_000;

export class NodeCertStore {
  private readonly stored: WatchedJsonFile<{ certificates?: NodeCertRecord[] }>;

  constructor(readonly file: string) {
    this.stored = new WatchedJsonFile(file, () => ({ certificates: [] }));
  }

  static forDataDir(dataDir: string): NodeCertStore {
    return new NodeCertStore(nodeCertFilePath(dataDir));
  }

  list(): NodeCertRecord[] {
    return [...(this.stored.read().certificates ?? [])];
  }

  /** The live (unrevoked, unexpired) certificate records for `name`. */
  live(name: string, nowMs: number = Date.now()): NodeCertRecord[] {
    return this.list().filter(
      (record) => record.name === name && record.revokedAt === undefined && Date.parse(record.notAfter) > nowMs,
    );
  }

  add(record: NodeCertRecord, nowMs: number = Date.now()): void {
    const kept = this.list().filter((old) => Date.parse(old.notAfter) + KEEP_EXPIRED_MS > nowMs);
    this.stored.write({ certificates: [...kept, record] });
  }

  /** Revokes every certificate issued for `name`; the number newly revoked. */
  revoke(name: string, nowMs: number = Date.now()): number {
    let revoked = 0;
    const certificates = this.list().map((record) => {
      if (record.name !== name || record.revokedAt !== undefined) return record;
      revoked++;
      return { ...record, revokedAt: new Date(nowMs).toISOString() };
    });
    if (revoked > 0) this.stored.write({ certificates });
    return revoked;
  }

  /**
   * The principal of a client certificate the TLS layer verified against the cluster CA (chain and
   * dates): a node, named by the certificate, unless it names no node, is revoked, or has no record
   * here (so that every certificate honoured can be revoked).
   */
  verifyPeer(raw: Buffer): Principal | { readonly refused: string } {
    const cert = new X509Certificate(raw);
    const name = nodeNameOfCertificate(cert);
    if (name === undefined) return { refused: 'the client certificate names no node (parajob://node/<name>)' };
    const record = this.list().find((entry) => entry.serialNumber === cert.serialNumber);
    if (record === undefined)
      return {
        refused: `the certificate of node ${name} is not one this coordinator issued (or its record was removed)`,
      };
    if (record.revokedAt !== undefined)
      return { refused: `the certificate of node ${name} was revoked at ${record.revokedAt}` };
    return { role: 'node', tokenId: certCredentialId(name), nodeName: name };
  }
}
