/**
 * Ledger events and whole ledgers as journal payload bytes. Events are what the journal holds between
 * snapshots (two per mini-batch run, on the hot path, so a compact positional layout rather than JSON);
 * a ledger's state is what a snapshot holds: its typed arrays as raw bytes (9 B per mini-batch), the
 * pending queue, and the few objects (live leases, first failures, counts).
 */
import { IntQueue } from '../ledger/int-queue.js';
import type { FailedMiniBatch, LeaseRecord, Ledger, LedgerCounts, LedgerEvent, RevokeCause } from '../ledger/ledger.js';
import type { ByteReader, ByteWriter } from './byte-codec.js';

const EVENT_TAGS = {
  'lease.granted': 1,
  'lease.revoked': 2,
  'batch.completed': 3,
  'attempt.failed': 4,
  'batch.failed': 5,
  'batches.carried': 6,
} as const;
const REVOKE_CAUSES: readonly RevokeCause[] = ['returned', 'node-lost', 'node-left', 'job-ended'];

/** Writes one ledger event (after whatever the writer already holds, e.g. which step run it is of). */
export function writeLedgerEvent(writer: ByteWriter, event: LedgerEvent): ByteWriter {
  // A rerun's carried mini-batches are one event for many: a bitmap, written once per step run.
  if (event.type === 'batches.carried')
    return writer.u8(EVENT_TAGS[event.type]).f64(event.itemsSucceeded).bytes(event.succeeded);
  writer.u8(EVENT_TAGS[event.type]).u32(event.miniBatchId).f64(event.token);
  switch (event.type) {
    case 'lease.granted':
      return writer.u32(event.attempt).f64(event.atMs).string(event.nodeId);
    case 'lease.revoked':
      return writer.u8(REVOKE_CAUSES.indexOf(event.cause));
    case 'batch.completed':
      return writer.f64(event.total).f64(event.succeeded);
    case 'attempt.failed':
    case 'batch.failed':
      return writer.string(event.errorKind).string(event.errorMessage);
  }
}

/** Reads one ledger event written by writeLedgerEvent; throws RangeError on bytes that are not one. */
export function readLedgerEvent(reader: ByteReader): LedgerEvent {
  const tag = reader.u8();
  if (tag === EVENT_TAGS['batches.carried']) {
    const itemsSucceeded = reader.f64();
    return { type: 'batches.carried', itemsSucceeded, succeeded: new Uint8Array(reader.bytes()) };
  }
  const miniBatchId = reader.u32();
  const token = reader.f64();
  switch (tag) {
    case EVENT_TAGS['lease.granted']: {
      const attempt = reader.u32();
      const atMs = reader.f64();
      return { type: 'lease.granted', miniBatchId, token, attempt, atMs, nodeId: reader.string() };
    }
    case EVENT_TAGS['lease.revoked']: {
      const cause = REVOKE_CAUSES[reader.u8()];
      if (cause === undefined) throw new RangeError('unknown revoke cause in a journaled lease.revoked');
      return { type: 'lease.revoked', miniBatchId, token, cause };
    }
    case EVENT_TAGS['batch.completed']: {
      const total = reader.f64();
      return { type: 'batch.completed', miniBatchId, token, total, succeeded: reader.f64() };
    }
    case EVENT_TAGS['attempt.failed']:
    case EVENT_TAGS['batch.failed']: {
      const errorKind = reader.string();
      const errorMessage = reader.string();
      const type = tag === EVENT_TAGS['attempt.failed'] ? 'attempt.failed' : 'batch.failed';
      return { type, miniBatchId, token, errorKind, errorMessage };
    }
    default:
      throw new RangeError(`unknown ledger event tag ${tag} in the journal`);
  }
}

/** The parts of a ledger's state that are plain objects (small: live leases and a few failures). */
interface LedgerObjects {
  readonly maxAttempts: number;
  readonly counts: LedgerCounts;
  readonly leases: LeaseRecord[];
  readonly firstFailures: FailedMiniBatch[];
}

/** Writes a ledger's whole state (a copy: the ledger may change as soon as this returns). */
export function writeLedgerState(writer: ByteWriter, ledger: Ledger): ByteWriter {
  const objects: LedgerObjects = {
    maxAttempts: ledger.maxAttempts,
    counts: ledger.counts,
    leases: [...ledger.leases.values()],
    firstFailures: ledger.firstFailures,
  };
  const pending = ledger.pending.toUint32Array();
  return writer
    .u32(ledger.miniBatchCount)
    .string(JSON.stringify(objects))
    .bytes(ledger.states)
    .bytes(ledger.attempts)
    .bytes(ledger.failedAttempts)
    .bytes(pending);
}

/**
 * Reads a ledger written by writeLedgerState. `itemCount` is the partition's (it is not state: the
 * mini-batches' content is recomputed from the input, as when the ledger was created).
 */
export function readLedgerState(reader: ByteReader, itemCount: (miniBatchId: number) => number): Ledger {
  const miniBatchCount = reader.u32();
  const objects = JSON.parse(reader.string()) as LedgerObjects;
  const states = new Uint8Array(reader.bytes());
  const attempts = reader.u32Array();
  const failedAttempts = reader.u32Array();
  const pendingIds = reader.u32Array();
  if (
    states.length !== miniBatchCount ||
    attempts.length !== miniBatchCount ||
    failedAttempts.length !== miniBatchCount
  )
    throw new RangeError(`journaled ledger arrays do not match its ${miniBatchCount} mini-batches`);
  if (pendingIds.length > miniBatchCount)
    throw new RangeError(`journaled ledger queues ${pendingIds.length} of its ${miniBatchCount} mini-batches`);
  const pending = IntQueue.from(pendingIds, miniBatchCount);
  const leases = new Map<number, LeaseRecord>();
  const leasesByNode = new Map<string, number>();
  for (const lease of objects.leases) {
    leases.set(lease.miniBatchId, lease);
    leasesByNode.set(lease.nodeId, (leasesByNode.get(lease.nodeId) ?? 0) + 1);
  }
  return {
    miniBatchCount,
    maxAttempts: objects.maxAttempts,
    itemCount,
    states,
    attempts,
    failedAttempts,
    pending,
    leases,
    leasesByNode,
    counts: { ...objects.counts },
    firstFailures: [...objects.firstFailures],
  };
}
