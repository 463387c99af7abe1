/**
 * `parajob node certs --data-dir D` and `parajob node revoke NAME --data-dir D`: the node certificates
 * a coordinator issued (src/auth/node-cert-store.ts). A revoked certificate is refused on its next
 * call, without restarting the coordinator; the node needs a token to join again (its name is free
 * for any node token once no live certificate holds it).
 */
import { resolve } from 'node:path';

import { NodeCertStore } from '../../auth/node-cert-store.js';
import { type CommandIo, writeLine } from '../command-io.js';
import { ExitCode, UsageError } from '../exit-codes.js';
import { guarded } from './token.js';

export function nodeCertsCommand(
  options: { readonly dataDir: string; readonly json?: boolean },
  io: CommandIo,
): number {
  return guarded(io, () => {
    const records = NodeCertStore.forDataDir(resolve(options.dataDir)).list();
    if (options.json) writeLine(io.stdout, JSON.stringify(records, null, 2));
    else if (records.length === 0) writeLine(io.stdout, 'no node certificates');
    for (const record of options.json ? [] : records) {
      const expired = Date.parse(record.notAfter) <= Date.now();
      const state =
        record.revokedAt !== undefined
          ? `revoked ${record.revokedAt}`
          : `${expired ? 'expired' : 'expires'} ${record.notAfter}`;
      writeLine(
        io.stdout,
        [record.name, record.serialNumber, `issued ${record.issuedAt}`, state, `token ${record.joinedWith}`].join('  '),
      );
    }
    return ExitCode.succeeded;
  });
}

export function nodeRevokeCommand(name: string, options: { readonly dataDir: string }, io: CommandIo): number {
  return guarded(io, () => {
    const store = NodeCertStore.forDataDir(resolve(options.dataDir));
    if (!store.list().some((record) => record.name === name))
      throw new UsageError(`no certificate was issued to node ${name} (see parajob node certs)`);
    const revoked = store.revoke(name);
    writeLine(io.stdout, `revoked ${revoked} certificate${revoked === 1 ? '' : 's'} of node ${name}`);
    return ExitCode.succeeded;
  });
}
