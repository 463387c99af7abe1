/**
 * The journal interface the coordinator writes through (DESIGN.md "Durable state"): a log of typed
 * records with group commit, snapshots, and replay on open. Two stores implement it: the file journal
 * in `<data-dir>/journal/` (file-journal.ts, the embedded default) and PostgreSQL (postgres-journal.ts,
 * `--store postgres://…`, where a second coordinator can wait as a hot standby). CoordinatorJournal
 * knows only this interface; records, their meaning and the durable state are the same for both.
 */
import { join } from 'node:path';

import { FileJournal, type FileJournalOptions } from './file-journal.js';
import type { JournalEntry, JournalRecord } from './frame.js';

/** A store of journal records (see the module comment). */
export interface JournalStore {
  /** Hands `record` to the next group commit and returns its log sequence number; does not wait. */
  write(record: JournalRecord): number;
  /** Resolves once every record written so far is durable (rejects once the store failed). */
  durable(): Promise<void>;
  /**
   * Stores `payload` (the state after every record written so far) as a snapshot, after those records,
   * and drops what it makes redundant. Resolves with the lsn it covers up to (exclusive).
   */
  snapshot(payload: readonly Uint8Array[]): Promise<number>;
  /** Flushes what was written, then closes; later writes throw. */
  close(): Promise<void>;
}

/** What a store held when it was opened: the newest snapshot and every record after it, in order. */
export interface ReplayedJournal {
  readonly snapshot: { readonly lsn: number; readonly payload: Uint8Array } | undefined;
  readonly entries: readonly JournalEntry[];
  /** Set when a torn tail of an interrupted write was cut off (file journal only). */
  readonly truncated?: { readonly file: string; readonly offset: number; readonly reason: string } | undefined;
}

/** A store, opened (for PostgreSQL: once this coordinator is the active one), and what it held. */
export interface OpenedJournalStore {
  readonly store: JournalStore;
  readonly replayed: ReplayedJournal;
  /** Where the journal lives, for the log. */
  readonly location: string;
  /**
   * Settles (never resolves) when the store is lost for good while open: fenced by another coordinator,
   * or its connection gone. The coordinator must then stop: it can make nothing durable any more.
   * undefined: the store reports failures only through its calls (the file journal).
   */
  readonly lost?: Promise<never>;
}

/** Opens a journal store; the coordinator calls it once at start. */
export type OpenJournalStore = () => Promise<OpenedJournalStore>;

/** The embedded default: the file journal in `<dataDir>/journal/`. */
export function fileJournalStore(dataDir: string, options: FileJournalOptions = {}): OpenJournalStore {
  return async () => {
    const dir = join(dataDir, 'journal');
    const { journal, recovered } = await FileJournal.open(dir, options);
    return { store: journal, replayed: recovered, location: dir };
  };
}
