/**
 * Which tabular leases the node reads for its worker, and reading them into the rows the worker
 * receives (protocol TableBatch).
 *
 * Workers read their own mini-batches: the `run` frame carries the lease's byte ranges, and the worker
 * reads them with the job's tabular settings (its `init` frame: reader, transforms and the table's
 * schema, decided once by the coordinator's probe), so rows are parsed once, where they are used, and
 * a Python worker parses with pandas' C parser. The one exception is parquet for a Python worker (no
 * parquet reader can be assumed in the user's Python): the node reads those leases with
 * src/input/tabular/read-table-batch.ts on its threads (table-read-pool.ts) and sends the rows.
 *
 * The assignment's tabular_reader_json is `{"reader": TabularReader, "transforms": TableTransform[]}`
 * (src/input/mltable/model.ts); a bare TabularReader (an object with `format`) means no transforms.
 */
import { InputError } from '../../errors.js';
import type { Lease } from '../../gen/parajob/v1/parajob.js';
import type { ByteRange } from '../../input/mltable/model.js';
import { readTableBatch } from '../../input/tabular/read-table-batch.js';
import { tabularSettingsOf } from '../../input/tabular/tabular-settings.js';
import type { TableBatch } from '../../worker/protocol.js';

/**
 * One lease's rows as the worker receives them: the JSON of a protocol TableBatch, spliced as is into
 * the `run` frame (encodeRunFrame), and the row count (a failed attempt's items).
 */
export interface LoadedTable {
  readonly rowCount: number;
  /** UTF-8 JSON of the TableBatch. */
  readonly json: Uint8Array;
}

/**
 * Reads one lease's rows. `settings` is the parsed tabular_reader_json of the assignment. The node
 * reads on threads (table-read-pool.ts); readLeaseTableHere reads on the calling thread.
 */
export type ReadTableBatch = (settings: unknown, lease: Lease, signal?: AbortSignal) => Promise<LoadedTable>;

/** True when the node reads a job's tabular leases for its workers (see the module comment). */
export function nodeReadsTables(
  settings: { readonly inputKind: string; readonly tabularReader: unknown },
  python: boolean,
): boolean {
  if (settings.inputKind !== 'tabular') return false;
  try {
    return python && tabularSettingsOf(settings.tabularReader).reader.format === 'parquet';
  } catch {
    // Settings no worker can use: the node's read fails the lease with the reason.
    return true;
  }
}

/** A lease's byte ranges as the `run` frame carries them (the wire's message has nothing else). */
export function rangesOf(lease: Lease): ByteRange[] {
  return lease.ranges.map(({ path, start, end }) => ({ path, start, end }));
}

/** The lease's partition_keys values, undefined when it has none. */
export function partitionKeyValueOf(lease: Lease): Readonly<Record<string, unknown>> | undefined {
  if (lease.partitionKeyJson === '') return undefined;
  try {
    return JSON.parse(lease.partitionKeyJson) as Record<string, unknown>;
  } catch (error) {
    throw new InputError(
      `mini-batch ${lease.miniBatchId}: partition_key_json is not valid JSON: ${(error as Error).message}`,
    );
  }
}

/** Reads a lease's rows with src/input's table reader. */
export async function readLeaseTable(settings: unknown, lease: Lease): Promise<TableBatch> {
  const { reader, transforms, schema } = tabularSettingsOf(settings);
  return readTableBatch(lease.ranges, reader, transforms, partitionKeyValueOf(lease), schema);
}

const encoder = new TextEncoder();

/**
 * A ReadTableBatch on the calling thread (tests, and what each pool thread runs). The JSON is
 * TextEncoder output: a buffer of its own, which a thread can transfer.
 */
export const readLeaseTableHere: ReadTableBatch = async (settings, lease) => {
  const table = await readLeaseTable(settings, lease);
  return { rowCount: table.rows.length, json: encoder.encode(JSON.stringify(table)) };
};
