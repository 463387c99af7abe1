/**
 * How a tabular job's rows are read, as one JSON value that travels from the coordinator
 * (JobAssignment.tabular_reader_json) through the node to every worker (the `init` frame's
 * tabularReader): `{"reader": TabularReader, "transforms": TableTransform[], "schema": TableSchema}`.
 * A bare TabularReader (an object with `format`) means no transforms and no schema.
 */
import { InputError } from '../../errors.js';
import type { TableTransform, TabularReader } from '../mltable/model.js';
import type { InferredType } from './column-types.js';

/**
 * What is decided once per table, before any mini-batch is read, so that every mini-batch (JS or
 * Python, on any node) gives a column the same type.
 */
export interface TableSchema {
  /**
   * `infer_column_types`: each column's type, inferred from the probe's rows (the table's first
   * rows). Columns that `convert_column_types` converts are not inferred (the conversion decides), and
   * a column absent here (a file with other headers) is read as string.
   */
  readonly inferredTypes: Readonly<Record<string, InferredType>>;
}

/** The parsed tabular_reader_json. */
export interface TabularSettings {
  readonly reader: TabularReader;
  readonly transforms: readonly TableTransform[];
  /** Undefined when the sender decided none (then each mini-batch infers types from its own rows). */
  readonly schema: TableSchema | undefined;
}

/** The JSON the coordinator sends for a table. */
export function tabularSettingsJson(
  reader: TabularReader,
  transforms: readonly TableTransform[],
  schema: TableSchema | undefined,
): string {
  return JSON.stringify({ reader, transforms, ...(schema === undefined ? {} : { schema }) });
}

/** The reader, transforms and schema in parsed tabular_reader_json; throws InputError for any other shape. */
export function tabularSettingsOf(settings: unknown): TabularSettings {
  if (settings !== null && typeof settings === 'object') {
    const record = settings as Record<string, unknown>;
    if (typeof record['format'] === 'string')
      return { reader: settings as TabularReader, transforms: [], schema: undefined };
    const reader = record['reader'];
    if (
      reader !== null &&
      typeof reader === 'object' &&
      typeof (reader as Record<string, unknown>)['format'] === 'string'
    ) {
      const transforms = Array.isArray(record['transforms']) ? (record['transforms'] as TableTransform[]) : [];
      return { reader: reader as TabularReader, transforms, schema: schemaOf(record['schema']) };
    }
  }
  throw new InputError(
    `tabular input: the assignment's tabular_reader_json is ${JSON.stringify(settings)}; expected {"reader": {"format": ...}, "transforms": [...]}`,
  );
}

function schemaOf(value: unknown): TableSchema | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const types = (value as Record<string, unknown>)['inferredTypes'];
  if (types === null || typeof types !== 'object') return undefined;
  return { inferredTypes: types as Record<string, InferredType> };
}
