/**
 * What the coordinator journals, as record types and payload codecs. Everything the coordinator must
 * not forget across a crash is one of these (DESIGN.md "Durable state"):
 * - job.accepted: the submission (spec text, where it ran, code hashes), durable before Submit answers;
 * - step.started: a step run's ledger shape (mini-batch count, retries), under a numeric step key;
 * - ledger.event: one ledger event of a step (the hot path: positional bytes, not JSON);
 * - batch.committed: a completion, journaled only once the output rows it covers are synced, with the
 *   end offset of those rows in the append_row file (recovery cuts the output back to the last one);
 * - tokens.reserved: a range of lease tokens, durable before any token of it is handed out;
 * - step.ended / job.ended: outcomes, so a restarted coordinator knows finished jobs without re-running them;
 * - job.deleted: an ended job forgotten (`parajob job delete`, the --retain-days sweep): the next
 *   snapshot no longer holds it, and the segments before that snapshot are removed.
 */
import type { JournaledSubmission } from '../jobs/submission.js';
import type { LedgerEvent } from '../ledger/ledger.js';
import { ByteReader, ByteWriter } from './byte-codec.js';
import type { JournalRecord } from './frame.js';
import { readLedgerEvent, writeLedgerEvent } from './ledger-codec.js';

export const RecordType = {
  jobAccepted: 1,
  stepStarted: 2,
  ledgerEvent: 3,
  batchCommitted: 4,
  tokensReserved: 5,
  stepEnded: 6,
  jobEnded: 7,
  jobDeleted: 8,
} as const;

/** A submission as journaled: enough to compile and run the job again after a restart. */
export interface JobAcceptedRecord extends JournaledSubmission {
  readonly acceptedAtMs: number;
  /** The job this one reruns (`parajob job rerun`); absent for a job submitted as such. */
  readonly rerunOf?: string;
  /** A rerun that reuses nothing of the job it reruns (`--from-scratch`). */
  readonly fromScratch?: boolean;
}

/** A step run's ledger came into being. */
export interface StepStartedRecord {
  /** Coordinator-wide number of the step run, used by its ledger records. */
  readonly stepKey: number;
  readonly jobId: string;
  /** The step run's wire job id. */
  readonly stepRunId: string;
  readonly miniBatchCount: number;
  readonly maxRetries: number;
}

export interface StepEndedRecord {
  readonly stepKey: number;
  readonly state: 'succeeded' | 'failed' | 'cancelled';
}

/** A job ended: its final status as the Jobs service shows it (JobStatus as JSON). */
export interface JobEndedRecord {
  readonly jobId: string;
  readonly status: unknown;
}

/** An ended job was deleted: the journal forgets it. */
export interface JobDeletedRecord {
  readonly jobId: string;
}

export interface TokensReservedRecord {
  /** Tokens from `from` (inclusive) to `upTo` (exclusive) may be handed out. */
  readonly from: number;
  readonly upTo: number;
}

/** A record of the coordinator journal, decoded. */
export type CoordinatorRecord =
  | { readonly type: 'job.accepted'; readonly record: JobAcceptedRecord }
  | { readonly type: 'step.started'; readonly record: StepStartedRecord }
  | { readonly type: 'ledger.event'; readonly stepKey: number; readonly event: LedgerEvent }
  | {
      readonly type: 'batch.committed';
      readonly stepKey: number;
      readonly event: LedgerEvent;
      /** The append_row output's length once this completion's rows are in it. */
      readonly outputEnd: number;
    }
  | { readonly type: 'tokens.reserved'; readonly record: TokensReservedRecord }
  | { readonly type: 'step.ended'; readonly record: StepEndedRecord }
  | { readonly type: 'job.ended'; readonly record: JobEndedRecord }
  | { readonly type: 'job.deleted'; readonly record: JobDeletedRecord };

const JSON_TYPES = {
  'job.accepted': RecordType.jobAccepted,
  'step.started': RecordType.stepStarted,
  'tokens.reserved': RecordType.tokensReserved,
  'step.ended': RecordType.stepEnded,
  'job.ended': RecordType.jobEnded,
  'job.deleted': RecordType.jobDeleted,
} as const;

/** The journal record for `record`. */
export function encodeRecord(record: CoordinatorRecord): JournalRecord {
  switch (record.type) {
    case 'ledger.event':
      return {
        type: RecordType.ledgerEvent,
        payload: writeLedgerEvent(new ByteWriter().u32(record.stepKey), record.event).finish(),
      };
    case 'batch.committed':
      return {
        type: RecordType.batchCommitted,
        payload: writeLedgerEvent(new ByteWriter().u32(record.stepKey).f64(record.outputEnd), record.event).finish(),
      };
    default:
      return { type: JSON_TYPES[record.type], payload: Buffer.from(JSON.stringify(record.record)) };
  }
}

/** Decodes a journal record; throws on a type or payload this version does not know. */
export function decodeRecord(record: JournalRecord): CoordinatorRecord {
  switch (record.type) {
    case RecordType.ledgerEvent: {
      const reader = new ByteReader(record.payload);
      const stepKey = reader.u32();
      return { type: 'ledger.event', stepKey, event: readLedgerEvent(reader) };
    }
    case RecordType.batchCommitted: {
      const reader = new ByteReader(record.payload);
      const stepKey = reader.u32();
      const outputEnd = reader.f64();
      return { type: 'batch.committed', stepKey, outputEnd, event: readLedgerEvent(reader) };
    }
    case RecordType.jobAccepted:
      return { type: 'job.accepted', record: parse<JobAcceptedRecord>(record.payload) };
    case RecordType.stepStarted:
      return { type: 'step.started', record: parse<StepStartedRecord>(record.payload) };
    case RecordType.tokensReserved:
      return { type: 'tokens.reserved', record: parse<TokensReservedRecord>(record.payload) };
    case RecordType.stepEnded:
      return { type: 'step.ended', record: parse<StepEndedRecord>(record.payload) };
    case RecordType.jobEnded:
      return { type: 'job.ended', record: parse<JobEndedRecord>(record.payload) };
    case RecordType.jobDeleted:
      return { type: 'job.deleted', record: parse<JobDeletedRecord>(record.payload) };
    default:
      throw new RangeError(`unknown coordinator journal record type ${record.type}`);
  }
}

function parse<T>(payload: Uint8Array): T {
  return JSON.parse(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8')) as T;
}
