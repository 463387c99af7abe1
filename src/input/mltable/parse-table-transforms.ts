/**
 * An MLTable's table transformations (take, skip, drop_columns, keep_columns, convert_column_types,
 * extract_columns_from_partition_format) → TableTransforms; each problem located at its key path.
 */
import type { KeyPath } from '../../jobspec/yaml-source.js';
import type { Checker } from './mltable-checker.js';
import { describe, isRecord, type Json } from './mltable-checker.js';
import type { ColumnType, TableTransform } from './model.js';

/** The names of the table transformations, in the order the messages list them. */
export const TABLE_TRANSFORMS = [
  'take',
  'skip',
  'drop_columns',
  'keep_columns',
  'convert_column_types',
  'extract_columns_from_partition_format',
];

/** The transform of table transformation `name` (one of TABLE_TRANSFORMS) with `value` as its options. */
export function parseTableTransform(
  check: Checker,
  name: string,
  value: Json,
  path: KeyPath,
): TableTransform | undefined {
  switch (name) {
    case 'take':
    case 'skip': {
      const count = check.count(value, path);
      return count === undefined ? undefined : { kind: name, count };
    }
    case 'drop_columns':
    case 'keep_columns': {
      const columns = check.columns(value, path);
      return columns ? { kind: name, columns } : undefined;
    }
    case 'convert_column_types':
      return parseConversions(check, value, path);
    default:
      return parsePartitionFormat(check, value, path);
  }
}

function parsePartitionFormat(check: Checker, value: Json, path: KeyPath): TableTransform | undefined {
  let format: Json = value;
  if (isRecord(value)) {
    check.unknownKeys(value, ['partition_format'], path, 'extract_columns_from_partition_format');
    format = value['partition_format'];
  }
  if (typeof format !== 'string' || !/\{[^{}]+\}/.test(format)) {
    return check.fail(
      path,
      `expected a partition format such as "{Store}/{Brand}/{file_name}.{ext}" (or {partition_format: …}), got ${describe(format)}`,
    );
  }
  return { kind: 'extract_columns_from_partition_format', format, baseDir: '' };
}

function parseConversions(check: Checker, value: Json, path: KeyPath): TableTransform | undefined {
  if (!Array.isArray(value) || value.length === 0) {
    return check.fail(path, `expected a list of {columns: …, column_type: …}, got ${describe(value)}`);
  }
  const conversions: { columns: string[]; columnType: ColumnType }[] = [];
  value.forEach((item: Json, index) => {
    const at: KeyPath = [...path, index];
    const entry = check.map(item, at, 'a conversion');
    if (!entry) return;
    check.unknownKeys(entry, ['columns', 'column_type'], at, 'a conversion');
    const columns = check.columns(entry['columns'], [...at, 'columns']);
    const columnType = parseColumnType(check, entry['column_type'], [...at, 'column_type']);
    if (columns && columnType) conversions.push({ columns, columnType });
  });
  return { kind: 'convert_column_types', conversions };
}

function stringList(check: Checker, value: Json, path: KeyPath): string[] | undefined {
  if (value === undefined) return undefined;
  if (
    Array.isArray(value) &&
    value.every((v) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')
  ) {
    return value.map(String);
  }
  return check.fail(path, `expected a list of strings, got ${describe(value)}`);
}

function parseColumnType(check: Checker, value: Json, path: KeyPath): ColumnType | undefined {
  const simple = ['int', 'float', 'string', 'boolean', 'datetime'];
  if (typeof value === 'string' && simple.includes(value)) {
    return value === 'datetime' ? { type: 'datetime', formats: [] } : ({ type: value } as ColumnType);
  }
  if (isRecord(value) && Object.keys(value).length === 1) {
    if (value['boolean'] !== undefined) {
      const options = check.map(value['boolean'], [...path, 'boolean'], 'boolean options') ?? {};
      check.unknownKeys(options, ['true_values', 'false_values', 'mismatch_as'], [...path, 'boolean'], 'boolean');
      const mismatch = options['mismatch_as'] ?? 'error';
      if (mismatch !== 'true' && mismatch !== 'false' && mismatch !== 'error') {
        check.fail([...path, 'boolean', 'mismatch_as'], `expected true, false or error, got ${describe(mismatch)}`);
      }
      const trueValues = stringList(check, options['true_values'], [...path, 'boolean', 'true_values']);
      const falseValues = stringList(check, options['false_values'], [...path, 'boolean', 'false_values']);
      return {
        type: 'boolean',
        ...(trueValues ? { trueValues } : {}),
        ...(falseValues ? { falseValues } : {}),
        mismatchAs: mismatch === 'true' || mismatch === 'false' ? mismatch : 'error',
      };
    }
    if (value['datetime'] !== undefined) {
      const options = check.map(value['datetime'], [...path, 'datetime'], 'datetime options') ?? {};
      check.unknownKeys(options, ['formats', 'date_constant'], [...path, 'datetime'], 'datetime');
      const formats = stringList(check, options['formats'], [...path, 'datetime', 'formats']) ?? [];
      return { type: 'datetime', formats };
    }
  }
  return check.fail(
    path,
    `expected one of int, float, string, boolean, datetime, {boolean: {…}}, {datetime: {formats: […]}}; got ${describe(value)}`,
  );
}
