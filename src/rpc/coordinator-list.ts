/**
 * A coordinator named by a list of addresses (`--coordinator a:7070,b:7070`): an active coordinator
 * and its hot standbys on a PostgreSQL journal (README "Durability"). Only the active one listens (a
 * standby binds its port once it took over, and a coordinator that lost the journal stops), so "the
 * one that answers" is the active one: callers dial every address at once and keep the first whose
 * channel gets ready. One address is dialled as before, without probing.
 */
import { Client } from '@grpc/grpc-js';

import { type Dial, type DialAuth, resolveDial } from '../auth/dial.js';
import { deadlineIn } from './options.js';

/** `a:1, b:2` → [`a:1`, `b:2`] (blanks dropped). */
export function splitCoordinatorAddresses(text: string): string[] {
  return text
    .split(',')
    .map((address) => address.trim())
    .filter((address) => address !== '');
}

/**
 * Credentials for the coordinator at any of `addresses` (they share one CA): a pinned CA is learned
 * from the first address that answers. Throws the last address's error when none does.
 */
export async function resolveDialAny(addresses: readonly string[], auth: DialAuth): Promise<Dial> {
  let failure: unknown = new Error('no coordinator address given');
  for (const address of addresses) {
    try {
      return await resolveDial(address, auth);
    } catch (error) {
      failure = error;
    }
  }
  throw failure;
}

/** Something with a gRPC channel: a generated client. */
interface Readiable {
  waitForReady(deadline: Date, callback: (error?: Error) => void): void;
}

/**
 * The index of the first of `clients` whose channel gets ready within `timeoutMs` (dialled at once);
 * rejects with the last error when none does.
 */
export function firstReady(clients: readonly Readiable[], timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let failed = 0;
    let settled = false;
    clients.forEach((client, index) =>
      client.waitForReady(deadlineIn(timeoutMs), (error) => {
        if (settled) return;
        if (error === undefined) {
          settled = true;
          resolve(index);
        } else if (++failed === clients.length) {
          settled = true;
          reject(error);
        }
      }),
    );
  });
}

/**
 * The address of the coordinator that answers among `addresses` (see the module comment); one
 * address is returned as it is. Rejects when none answers within `timeoutMs`.
 */
export async function findActiveCoordinator(
  addresses: readonly string[],
  dial: Dial,
  timeoutMs: number,
): Promise<string> {
  if (addresses.length === 1) return addresses[0] as string;
  const probes = addresses.map((address) => new Client(address, dial.credentials, dial.options));
  try {
    return addresses[await firstReady(probes, timeoutMs)] as string;
  } catch (error) {
    throw new Error(`no coordinator answers at ${addresses.join(', ')}: ${String(error)}`, { cause: error });
  } finally {
    for (const probe of probes) probe.close();
  }
}
