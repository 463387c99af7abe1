/**
 * The coordinator's tokens on disk: `<data dir>/auth/tokens.json` (mode 0600, folder 0700), written
 * by `parajob token create|revoke` and read by the running coordinator, which reloads the file when
 * its modification time changes (a token created or revoked takes effect on the next call; streams
 * already open stay open).
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import type { Role } from './roles.js';
import { mintToken, type Principal, type TokenRecord, type TokenVerifier, verifyAgainst } from './tokens.js';

/** Where a data dir keeps its tokens. */
export function tokenFilePath(dataDir: string): string {
  return join(dataDir, 'auth', 'tokens.json');
}

export class TokenStore implements TokenVerifier {
  private records = new Map<string, TokenRecord>();
  private loadedMtimeMs = -1;

  constructor(readonly file: string) {}

  /** The tokens of a data dir. */
  static forDataDir(dataDir: string): TokenStore {
    return new TokenStore(tokenFilePath(dataDir));
  }

  /** Every stored token (secrets are not stored). */
  list(): TokenRecord[] {
    this.reload();
    return [...this.records.values()];
  }

  /** Mints and stores a token; returns the token text (shown once, never stored). */
  create(role: Role, options: { readonly ttlMs?: number; readonly description?: string } = {}): string {
    this.reload();
    const { token, record } = mintToken(role, options);
    this.records.set(record.id, record);
    this.save();
    return token;
  }

  /** Removes a token by id (or by the whole token text); false when there was none. */
  revoke(idOrToken: string): boolean {
    this.reload();
    const id = idOrToken.split('.')[0] ?? '';
    if (!this.records.delete(id)) return false;
    this.save();
    return true;
  }

  verify(token: string, nowMs?: number): Principal | { readonly refused: string } {
    this.reload();
    return verifyAgainst(this.records, token, nowMs);
  }

  private reload(): void {
    let mtimeMs: number;
    try {
      mtimeMs = statSync(this.file).mtimeMs;
    } catch {
      this.records = new Map();
      this.loadedMtimeMs = -1;
      return;
    }
    if (mtimeMs === this.loadedMtimeMs) return;
    const parsed = JSON.parse(readFileSync(this.file, 'utf8')) as { tokens?: TokenRecord[] };
    this.records = new Map((parsed.tokens ?? []).map((record) => [record.id, record]));
    this.loadedMtimeMs = mtimeMs;
  }

  /** Write-to-temp + rename: a reader never sees half a file. */
  private save(): void {
    const dir = join(this.file, '..');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
    const temp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(temp, `${JSON.stringify({ tokens: [...this.records.values()] }, null, 2)}\n`, { mode: 0o600 });
    renameSync(temp, this.file);
    this.loadedMtimeMs = statSync(this.file).mtimeMs;
  }
}
