/**
 * Reads one tabular mini-batch on a node: the rows of its byte ranges, parsed with the MLTable's read
 * settings, then the table transformations in MLTable order. The result is the worker protocol's
 * TableBatch, the same for JS and Python workers.
 *
 * Semantics worth knowing:
 * - Header: `all_files_same_headers` / `all_files_different_headers` take each range's columns from its
 *   own file's header record; `from_first_file` from `reader.headerFile`; `no_header` names them
 *   `Column1`…`ColumnN`. Ranges with different columns are merged by name (missing → null).
 * - A record with more fields than the header fails the mini-batch (InputError); fewer → null-padded.
 * - `empty_as_string: false` turns empty fields into null.
 * - `infer_column_types`: each column's type is the table's `schema` (decided once per table by
 *   {@link decideTableSchema} on the probe's rows); without a schema, each mini-batch infers its own
 *   from its first 200 rows (see column-types.ts).
 * - `take`/`skip` are not applied here: the cutter applied them (cut-table.ts).
 * - `partitionKeyValue`, when given, keeps only the rows whose key columns equal it (as text).
 */
import { InputError } from '../../errors.js';
import type { TableBatch } from '../../worker/protocol.js';
import type { ByteRange, DelimitedReader, TableTransform, TabularReader } from '../mltable/model.js';
import { applyInferredType, convertValue, inferColumnType, type InferredType } from './column-types.js';
import { compilePartitionFormat, extractPartitionValues } from './partition-format.js';
import { positionalColumnNames, readDelimitedRecords, readHeaderColumns } from './read-delimited.js';
import { readJsonLinesObjects } from './read-json-lines.js';
import type { TableSchema } from './tabular-settings.js';

/** The name of the column `include_path_column` adds (first): the file's absolute path. */
export const PATH_COLUMN = 'Path';

/** A table being built: rows as arrays in `columns` order, and the file each row came from. */
interface WorkingTable {
  columns: string[];
  rows: unknown[][];
  rowFiles: string[];
}

/**
 * Reads `ranges` (of one or several files) and applies `transforms`.
 * @throws InputError naming the file for unreadable or invalid data (bad encoding, a JSON line that
 *   does not parse with `invalid_lines: error`, a record with too many fields, a missing keep column).
 */
export async function readTableBatch(
  ranges: readonly ByteRange[],
  reader: TabularReader,
  transforms: readonly TableTransform[],
  partitionKeyValue?: Readonly<Record<string, unknown>>,
  schema?: TableSchema,
): Promise<TableBatch> {
  let table = await readRawTable(ranges, reader);
  if (reader.format === 'delimited' && reader.inferColumnTypes) {
    const types = schema?.inferredTypes;
    applyTypes(table, reader, types === undefined ? inferTypesOf(table, reader, transforms) : types);
  }
  for (const transform of transforms) table = applyTransform(table, transform);
  if (partitionKeyValue) table = keepPartition(table, partitionKeyValue);
  return {
    columns: table.columns,
    rows: table.rows,
    source: ranges.map(({ path, start, end, sourcePath }) => ({ path: sourcePath ?? path, start, end })),
  };
}

/**
 * The column types of a table, decided once from `ranges` (the probe's rows): the types every
 * mini-batch of the table is then read with, in JS and Python alike. Columns that
 * `convert_column_types` converts are left to the conversion.
 */
export async function decideTableSchema(
  ranges: readonly ByteRange[],
  reader: TabularReader,
  transforms: readonly TableTransform[],
): Promise<TableSchema> {
  if (reader.format !== 'delimited' || !reader.inferColumnTypes) return { inferredTypes: {} };
  return { inferredTypes: inferTypesOf(await readRawTable(ranges, reader), reader, transforms) };
}

/** The rows of `ranges` as read, before types and transforms. */
async function readRawTable(ranges: readonly ByteRange[], reader: TabularReader): Promise<WorkingTable> {
  const headers = new Map<string, Promise<string[]>>();
  const parts: WorkingTable[] = [];
  for (const range of ranges) parts.push(await readRange(range, reader, headers));
  return mergeTables(parts);
}

async function readRange(
  range: ByteRange,
  reader: TabularReader,
  headers: Map<string, Promise<string[]>>,
): Promise<WorkingTable> {
  let table: WorkingTable;
  const source = range.sourcePath ?? range.path;
  if (reader.format === 'delimited') table = await readDelimitedRange(range, reader, headers);
  else if (reader.format === 'json_lines') table = objectsToTable(await readJsonLinesObjects(range, reader), source);
  else {
    // hyparquet is loaded only by parquet jobs (a JS worker imports this module for CSV too).
    const { readParquetRange } = await import('./read-parquet.js');
    table = objectsToTable(await readParquetRange(range), source);
  }
  if (reader.includePathColumn) {
    table.columns.unshift(PATH_COLUMN);
    for (const row of table.rows) row.unshift(source);
  }
  return table;
}

async function readDelimitedRange(
  range: ByteRange,
  reader: DelimitedReader,
  headers: Map<string, Promise<string[]>>,
): Promise<WorkingTable> {
  const records = await readDelimitedRecords(range, reader);
  let columns: string[];
  if (reader.header === 'no_header') {
    columns = positionalColumnNames(records.reduce((max, record) => Math.max(max, record.length), 0));
  } else {
    const headerFile = reader.header === 'from_first_file' ? (reader.headerFile ?? range.path) : range.path;
    let header = headers.get(headerFile);
    if (!header) {
      header = readHeaderColumns(headerFile, reader);
      headers.set(headerFile, header);
    }
    columns = [...(await header)];
  }
  const width = columns.length;
  const emptyIsNull = !reader.emptyAsString;
  // Each record becomes its row in place (it is a fresh array nobody else holds): one allocation
  // per row fewer, on the hot path of every tabular mini-batch.
  const rows: unknown[][] = records;
  for (let index = 0; index < records.length; index++) {
    const record: unknown[] = records[index]!;
    if (record.length > width) {
      throw new InputError(
        `${range.path}: record ${index + 1} of bytes ${range.start}–${range.end} has ${record.length} fields but the header has ${width} (${columns.join(', ')}); check read_delimited.delimiter and header`,
      );
    }
    if (emptyIsNull) for (let c = 0; c < record.length; c++) if (record[c] === '') record[c] = null;
    while (record.length < width) record.push(null);
  }
  return { columns, rows, rowFiles: new Array<string>(rows.length).fill(range.sourcePath ?? range.path) };
}

function objectsToTable(objects: readonly Record<string, unknown>[], file: string): WorkingTable {
  const index = new Map<string, number>();
  for (const object of objects) for (const key of Object.keys(object)) if (!index.has(key)) index.set(key, index.size);
  const columns = [...index.keys()];
  const rows = objects.map((object) => columns.map((column) => object[column] ?? null));
  return { columns, rows, rowFiles: rows.map(() => file) };
}

/** One table from several: columns by name in first-seen order, a row's missing columns null. */
function mergeTables(parts: readonly WorkingTable[]): WorkingTable {
  if (parts.length === 1) return parts[0]!;
  const index = new Map<string, number>();
  for (const part of parts) for (const column of part.columns) if (!index.has(column)) index.set(column, index.size);
  const columns = [...index.keys()];
  const merged: WorkingTable = { columns, rows: [], rowFiles: [] };
  for (const part of parts) {
    const same = part.columns.length === columns.length && part.columns.every((c, i) => c === columns[i]);
    const positions = part.columns.map((column) => index.get(column)!);
    for (const [r, row] of part.rows.entries()) {
      if (same) merged.rows.push(row);
      else {
        const wide: unknown[] = new Array(columns.length).fill(null);
        positions.forEach((position, c) => (wide[position] = row[c]));
        merged.rows.push(wide);
      }
      merged.rowFiles.push(part.rowFiles[r]!);
    }
  }
  return merged;
}

/** Inferred types of the columns the table's types apply to (not the Path column, not converted columns). */
function inferTypesOf(
  table: WorkingTable,
  reader: DelimitedReader,
  transforms: readonly TableTransform[],
): Record<string, InferredType> {
  const converted = new Set<string>();
  for (const transform of transforms)
    if (transform.kind === 'convert_column_types')
      for (const { columns } of transform.conversions) for (const column of columns) converted.add(column);
  const types: Record<string, InferredType> = {};
  table.columns.forEach((column, c) => {
    if ((reader.includePathColumn && column === PATH_COLUMN && c === 0) || converted.has(column)) return;
    types[column] = inferColumnType(table.rows, c);
  });
  return types;
}

/** Values of each column that fit its type become that type; the rest stay strings (never dropped). */
function applyTypes(table: WorkingTable, reader: DelimitedReader, types: Readonly<Record<string, InferredType>>): void {
  table.columns.forEach((column, c) => {
    if (reader.includePathColumn && column === PATH_COLUMN && c === 0) return;
    const type = types[column];
    if (type === undefined || type === 'string') return;
    for (const row of table.rows) row[c] = applyInferredType(row[c], type);
  });
}

function columnIndex(table: WorkingTable, column: string, transform: string): number {
  const index = table.columns.indexOf(column);
  if (index === -1) {
    const files = [...new Set(table.rowFiles)].slice(0, 3).join(', ');
    throw new InputError(
      `${files || 'the mini-batch'}: ${transform}: no column \`${column}\`; the columns are: ${table.columns.join(', ')}`,
    );
  }
  return index;
}

function select(table: WorkingTable, indices: readonly number[]): WorkingTable {
  return {
    columns: indices.map((i) => table.columns[i]!),
    rows: table.rows.map((row) => indices.map((i) => row[i])),
    rowFiles: table.rowFiles,
  };
}

function applyTransform(table: WorkingTable, transform: TableTransform): WorkingTable {
  switch (transform.kind) {
    case 'take':
    case 'skip':
      return table;
    case 'keep_columns':
      return select(
        table,
        transform.columns.map((column) => columnIndex(table, column, 'keep_columns')),
      );
    case 'drop_columns': {
      // A column to drop that is absent is already dropped: not an error.
      const drop = new Set(transform.columns);
      return select(
        table,
        table.columns.flatMap((column, i) => (drop.has(column) ? [] : [i])),
      );
    }
    case 'convert_column_types': {
      for (const { columns, columnType } of transform.conversions) {
        for (const column of columns) {
          const c = columnIndex(table, column, 'convert_column_types');
          for (const row of table.rows) row[c] = convertValue(row[c], columnType);
        }
      }
      return table;
    }
    case 'extract_columns_from_partition_format': {
      const compiled = compilePartitionFormat(transform.format);
      const byFile = new Map<string, Record<string, string>>();
      const values = (file: string) => {
        let found = byFile.get(file);
        if (!found) byFile.set(file, (found = extractPartitionValues(file, transform.baseDir, compiled)));
        return found;
      };
      const added = compiled.columns.filter((column) => !table.columns.includes(column));
      const columns = [...table.columns, ...added];
      // Where each extracted column lands, found once rather than per row.
      const positions = compiled.columns.map((column) => [column, columns.indexOf(column)] as const);
      const rows = table.rows.map((row, r) => {
        const extracted = values(table.rowFiles[r]!);
        const wide = [...row, ...added.map((column) => extracted[column] ?? null)];
        // A data column with the same name takes the path's value, as the path is the partition.
        for (const [column, position] of positions) wide[position] = extracted[column] ?? null;
        return wide;
      });
      return { columns, rows, rowFiles: table.rowFiles };
    }
  }
}

function keepPartition(table: WorkingTable, key: Readonly<Record<string, unknown>>): WorkingTable {
  const checks = Object.entries(key).map(
    ([column, value]) => [columnIndex(table, column, 'partition_keys'), value === null ? null : String(value)] as const,
  );
  const keep = table.rows.flatMap((row, r) =>
    checks.every(([c, value]) => (row[c] === null || row[c] === undefined ? value === null : String(row[c]) === value))
      ? [r]
      : [],
  );
  if (keep.length === table.rows.length) return table;
  return {
    columns: table.columns,
    rows: keep.map((r) => table.rows[r]!),
    rowFiles: keep.map((r) => table.rowFiles[r]!),
  };
}
