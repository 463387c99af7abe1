/**
 * `parajob token create --role node|client|viewer [--ttl 24h] [--description TEXT] --data-dir D`,
 * `parajob token list --data-dir D`, `parajob token revoke ID --data-dir D`: the coordinator's bearer
 * tokens (src/auth/token-store.ts). `create` prints the token alone on its last line; it is shown
 * once and stored only as a hash. A running coordinator sees the change on its next call.
 */
import { resolve } from 'node:path';

import { isRole, ROLES } from '../../auth/roles.js';
import { TokenStore } from '../../auth/token-store.js';
import { type CommandIo, writeLine } from '../command-io.js';
import { describeError } from '../describe-error.js';
import { ExitCode, exitCodeForError, UsageError } from '../exit-codes.js';
import { durationMsOf } from '../option-parsers.js';

/** `90s`, `30m`, `24h`, `7d`; `0` or `never`: no expiry (undefined). */
export function parseTtl(text: string): number | undefined {
  if (text === '0' || text === 'never') return undefined;
  const ms = /^\d+[smhd]$/.test(text.trim()) ? durationMsOf(text) : undefined;
  if (ms === undefined) throw new UsageError(`--ttl: "${text}" is not a duration; expected e.g. 30m, 24h, 7d or never`);
  return ms;
}

/** Runs a synchronous credential command: an error is described on stderr and becomes the exit code. */
export function guarded(io: CommandIo, body: () => number): number {
  try {
    return body();
  } catch (error) {
    writeLine(io.stderr, describeError(error));
    return exitCodeForError(error);
  }
}

export function tokenCreateCommand(
  options: { readonly role: string; readonly ttl: string; readonly description?: string; readonly dataDir: string },
  io: CommandIo,
): number {
  return guarded(io, () => {
    if (!isRole(options.role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}, got "${options.role}"`);
    const ttlMs = parseTtl(options.ttl);
    const store = TokenStore.forDataDir(resolve(options.dataDir));
    const token = store.create(options.role, {
      ...(ttlMs === undefined ? {} : { ttlMs }),
      ...(options.description === undefined ? {} : { description: options.description }),
    });
    const expiry = ttlMs === undefined ? 'never expires' : `expires ${new Date(Date.now() + ttlMs).toISOString()}`;
    writeLine(io.stderr, `${options.role} token ${token.split('.')[0]} (${expiry}); it is shown only now:`);
    writeLine(io.stdout, token);
    return ExitCode.succeeded;
  });
}

export function tokenListCommand(
  options: { readonly dataDir: string; readonly json?: boolean },
  io: CommandIo,
): number {
  return guarded(io, () => {
    const records = TokenStore.forDataDir(resolve(options.dataDir)).list();
    if (options.json) writeLine(io.stdout, JSON.stringify(records, null, 2));
    else if (records.length === 0) writeLine(io.stdout, 'no tokens');
    else {
      for (const record of records) {
        const expired = record.expiresAt !== undefined && Date.parse(record.expiresAt) <= Date.now();
        writeLine(
          io.stdout,
          [
            record.id,
            record.role.padEnd(6),
            `created ${record.createdAt}`,
            record.expiresAt === undefined ? 'never expires' : `${expired ? 'expired' : 'expires'} ${record.expiresAt}`,
            record.description ?? '',
          ]
            .join('  ')
            .trimEnd(),
        );
      }
    }
    return ExitCode.succeeded;
  });
}

export function tokenRevokeCommand(id: string, options: { readonly dataDir: string }, io: CommandIo): number {
  return guarded(io, () => {
    if (!TokenStore.forDataDir(resolve(options.dataDir)).revoke(id)) {
      throw new UsageError(`no token ${id.split('.')[0]} in ${resolve(options.dataDir)}`);
    }
    writeLine(io.stdout, `revoked ${id.split('.')[0]}`);
    return ExitCode.succeeded;
  });
}
