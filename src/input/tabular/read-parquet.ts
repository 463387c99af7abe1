/**
 * Reads the rows of a parquet byte range: the row groups whose first byte lies in the range (see
 * parquet-row-groups.ts). Values become JSON: bigint → number (string beyond 2^53), dates → ISO 8601,
 * bytes → base64.
 */
import { parquetReadObjects } from 'hyparquet';

import { InputError } from '../../errors.js';
import type { ByteRange } from '../mltable/model.js';
import { readParquetMetadata, rowGroupSpans } from './parquet-row-groups.js';

/** Rows of the row groups starting inside `range`, as objects keyed by column name. */
export async function readParquetRange(range: ByteRange): Promise<Record<string, unknown>[]> {
  const { metadata, buffer } = await readParquetMetadata(range.path);
  const groups = rowGroupSpans(metadata).filter((group) => group.start >= range.start && group.start < range.end);
  if (groups.length === 0) return [];
  const rowStart = groups[0]!.firstRow;
  const rowEnd = groups[groups.length - 1]!.firstRow + groups[groups.length - 1]!.rows;
  let rows: Record<string, unknown>[];
  try {
    rows = (await parquetReadObjects({ file: buffer, metadata, rowStart, rowEnd })) as Record<string, unknown>[];
  } catch (error) {
    throw new InputError(
      `${range.path}: cannot read rows ${rowStart}–${rowEnd} of the parquet file: ${(error as Error).message}`,
    );
  }
  return rows.map((row) => Object.fromEntries(Object.entries(row).map(([key, value]) => [key, toJsonValue(value)])));
}

function toJsonValue(value: unknown): unknown {
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return value.map(toJsonValue);
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJsonValue(v)]));
  return value ?? null;
}
