/**
 * The coordinator's tokens on disk: `<data dir>/auth/tokens.json` (mode 0600, folder 0700), written
 * by `parajob token create|revoke` and read by the running coordinator, which reloads the file when
 * its modification time changes (a token created or revoked takes effect on the next call; streams
 * already open stay open).
 */
import { join } from 'node:path';

import type { Role } from './roles.js';
import { mintToken, type Principal, type TokenRecord, type TokenVerifier, verifyAgainst } from './tokens.js';
import { WatchedJsonFile } from './watched-json-file.js';

/** Where a data dir keeps its tokens. */
export function tokenFilePath(dataDir: string): string {
  return join(dataDir, 'auth', 'tokens.json');
}

export class TokenStore implements TokenVerifier {
  private readonly stored: WatchedJsonFile<{ tokens?: TokenRecord[] }>;

  constructor(readonly file: string) {
    this.stored = new WatchedJsonFile(file, () => ({ tokens: [] }));
  }

  /** The tokens of a data dir. */
  static forDataDir(dataDir: string): TokenStore {
    return new TokenStore(tokenFilePath(dataDir));
  }

  /** Every stored token (secrets are not stored). */
  list(): TokenRecord[] {
    return [...this.records().values()];
  }

  /** Mints and stores a token; returns the token text (shown once, never stored). */
  create(role: Role, options: { readonly ttlMs?: number; readonly description?: string } = {}): string {
    const records = this.records();
    const { token, record } = mintToken(role, options);
    records.set(record.id, record);
    this.save(records);
    return token;
  }

  /** Removes a token by id (or by the whole token text); false when there was none. */
  revoke(idOrToken: string): boolean {
    const records = this.records();
    const id = idOrToken.split('.')[0] ?? '';
    if (!records.delete(id)) return false;
    this.save(records);
    return true;
  }

  verify(token: string, nowMs?: number): Principal | { readonly refused: string } {
    return verifyAgainst(this.records(), token, nowMs);
  }

  private records(): Map<string, TokenRecord> {
    return new Map((this.stored.read().tokens ?? []).map((record) => [record.id, record]));
  }

  private save(records: ReadonlyMap<string, TokenRecord>): void {
    this.stored.write({ tokens: [...records.values()] });
  }
}
