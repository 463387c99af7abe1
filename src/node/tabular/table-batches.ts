/**
 * Reading a tabular lease's byte ranges into the rows a worker receives (protocol TableBatch). The
 * node parses, not the worker, so JS and Python workers see the same columns, types and nulls; the
 * parser is src/input/tabular/read-table-batch.ts, run on the node's threads (table-read-pool.ts).
 *
 * The assignment's tabular_reader_json is `{"reader": TabularReader, "transforms": TableTransform[]}`
 * (src/input/mltable/model.ts); a bare TabularReader (an object with `format`) means no transforms.
 */
import { InputError } from '../../errors.js';
import type { Lease } from '../../gen/parajob/v1/parajob.js';
import type { TableTransform, TabularReader } from '../../input/mltable/model.js';
import { readTableBatch } from '../../input/tabular/read-table-batch.js';
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

/** The reader and transforms in tabular_reader_json; throws InputError for any other shape. */
export function tabularSettingsOf(settings: unknown): {
  readonly reader: TabularReader;
  readonly transforms: readonly TableTransform[];
} {
  if (settings !== null && typeof settings === 'object') {
    const record = settings as Record<string, unknown>;
    if (typeof record['format'] === 'string') return { reader: record as unknown as TabularReader, transforms: [] };
    const reader = record['reader'];
    if (
      reader !== null &&
      typeof reader === 'object' &&
      typeof (reader as Record<string, unknown>)['format'] === 'string'
    ) {
      const transforms = Array.isArray(record['transforms']) ? (record['transforms'] as TableTransform[]) : [];
      return { reader: reader as TabularReader, transforms };
    }
  }
  throw new InputError(
    `tabular input: the assignment's tabular_reader_json is ${JSON.stringify(settings)}; expected {"reader": {"format": ...}, "transforms": [...]}`,
  );
}

/** Reads a lease's rows with src/input's table reader. */
export async function readLeaseTable(settings: unknown, lease: Lease): Promise<TableBatch> {
  const { reader, transforms } = tabularSettingsOf(settings);
  return readTableBatch(lease.ranges, reader, transforms, partitionKeyValueOf(lease));
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
