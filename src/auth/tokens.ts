/**
 * Bearer tokens, kubeadm-style: `<id>.<secret>`, where the id (8 hex digits) names the token in
 * listings and revocations and the secret is 256 random bits (base64url). Only a SHA-256 of the
 * secret is stored: the secret has full entropy, so a slow hash would add nothing.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

import type { Role } from './roles.js';

/** Who made an authenticated call. */
export interface Principal {
  readonly role: Role;
  /**
   * The credential's id (stable across calls; node ids are bound to it): a token's id, or
   * `cert/<name>` for a node certificate (node-cert-store.ts).
   */
  readonly tokenId: string;
  /** Set for a node certificate: the name it binds (such a caller may attach under this name only). */
  readonly nodeName?: string;
}

/** A token as stored: never the secret itself. */
export interface TokenRecord {
  readonly id: string;
  readonly role: Role;
  /** Hex SHA-256 of the secret. */
  readonly secretSha256: string;
  readonly createdAt: string;
  /** ISO time after which the token is refused; undefined: never expires. */
  readonly expiresAt?: string;
  readonly description?: string;
}

/** Anything that can tell a token's principal (or that it is no good). */
export interface TokenVerifier {
  /** The principal of `token`, or a reason it is refused. */
  verify(token: string, nowMs?: number): Principal | { readonly refused: string };
}

const TOKEN_PATTERN = /^([0-9a-f]{8})\.([A-Za-z0-9_-]{43})$/;

/** A fresh token and the record to store for it. */
export function mintToken(
  role: Role,
  options: { readonly ttlMs?: number; readonly description?: string; readonly nowMs?: number } = {},
): { readonly token: string; readonly record: TokenRecord } {
  const now = options.nowMs ?? Date.now();
  const id = randomBytes(4).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return {
    token: `${id}.${secret}`,
    record: {
      id,
      role,
      secretSha256: sha256Hex(secret),
      createdAt: new Date(now).toISOString(),
      ...(options.ttlMs === undefined ? {} : { expiresAt: new Date(now + options.ttlMs).toISOString() }),
      ...(options.description === undefined ? {} : { description: options.description }),
    },
  };
}

/** Checks `token` against `records` (by id, then the secret's hash in constant time, then expiry). */
export function verifyAgainst(
  records: ReadonlyMap<string, TokenRecord>,
  token: string,
  nowMs: number = Date.now(),
): Principal | { readonly refused: string } {
  const match = TOKEN_PATTERN.exec(token.trim());
  if (match === null) return { refused: 'malformed token (expected <8 hex>.<43 base64url>)' };
  const id = match[1] ?? '';
  const secret = match[2] ?? '';
  const record = records.get(id);
  if (record === undefined) return { refused: `unknown or revoked token ${id}` };
  const given = Buffer.from(sha256Hex(secret), 'hex');
  const stored = Buffer.from(record.secretSha256, 'hex');
  if (given.length !== stored.length || !timingSafeEqual(given, stored))
    return { refused: `bad secret for token ${id}` };
  if (record.expiresAt !== undefined && Date.parse(record.expiresAt) <= nowMs)
    return { refused: `token ${id} expired at ${record.expiresAt}` };
  return { role: record.role, tokenId: id };
}

/** Tokens held in memory only (the per-run credentials of `parajob run`). */
export class MemoryTokens implements TokenVerifier {
  private readonly records = new Map<string, TokenRecord>();

  /** Mints a token of `role` valid for this process's life. */
  mint(role: Role, description?: string): string {
    const { token, record } = mintToken(role, description === undefined ? {} : { description });
    this.records.set(record.id, record);
    return token;
  }

  verify(token: string, nowMs?: number): Principal | { readonly refused: string } {
    return verifyAgainst(this.records, token, nowMs);
  }
}

/** The first verifier that knows the token's id wins; else the last refusal. */
export function anyOf(...verifiers: readonly TokenVerifier[]): TokenVerifier {
  return {
    verify(token, nowMs) {
      let refusal: { readonly refused: string } = { refused: 'no token store' };
      for (const verifier of verifiers) {
        const result = verifier.verify(token, nowMs);
        if (!('refused' in result)) return result;
        refusal = result;
      }
      return refusal;
    },
  };
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
