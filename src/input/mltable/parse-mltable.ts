/**
 * Checks the plain content of an MLTable YAML file and turns it into typed path entries, an optional
 * reader and transforms. It does not touch the filesystem (src/input/mltable/load-mltable.ts resolves
 * the paths). Every problem becomes a SpecError located at its key path; all are reported at once.
 */
import type { SpecError } from '../../errors.js';
import { SpecErrors } from '../../errors.js';
import { nearestKey } from '../../jobspec/nearest-key.js';
import type { KeyPath, YamlSource } from '../../jobspec/yaml-source.js';
import {
  type ColumnType,
  HEADER_MODES,
  type HeaderMode,
  type TableTransform,
  type TabularReader,
  type TextEncoding,
} from './model.js';

/** One entry of `paths`, as written (relative values are resolved by the loader). */
export interface PathEntry {
  readonly kind: 'file' | 'folder' | 'pattern';
  readonly value: string;
  /** Where it sits in the YAML, for "no file matches" errors. */
  readonly keyPath: KeyPath;
}

/** The MLTable before its paths are resolved. `reader` undefined: a file list. */
export interface ParsedMLTable {
  readonly paths: readonly PathEntry[];
  readonly reader: TabularReader | undefined;
  /** `extract_columns_from_partition_format` carries an empty baseDir, filled in by the loader. */
  readonly transforms: readonly TableTransform[];
}

const TOP_LEVEL_KEYS = ['$schema', 'type', 'paths', 'transformations', 'traits', 'metadata'];
const READ_TRANSFORMS = ['read_delimited', 'read_json_lines', 'read_parquet'];
const TABLE_TRANSFORMS = [
  'take',
  'skip',
  'drop_columns',
  'keep_columns',
  'convert_column_types',
  'extract_columns_from_partition_format',
];
/** Known to Azure but not implemented by parajob: named as such instead of "unknown". */
const UNSUPPORTED_TRANSFORMS = ['read_delta_lake', 'filter', 'take_random_sample'];

/** Azure's encoding names (and common spellings) → the canonical ones parajob reads. */
const ENCODINGS: Readonly<Record<string, TextEncoding>> = {
  utf8: 'utf8',
  'utf-8': 'utf8',
  utf8bom: 'utf8bom',
  ascii: 'ascii',
  latin1: 'latin1',
  iso88591: 'latin1',
  'iso-8859-1': 'latin1',
  windows1252: 'windows1252',
  'windows-1252': 'windows1252',
  cp1252: 'windows1252',
};

type Json = unknown;

function isRecord(value: Json): value is Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Collects located errors while the checks go on, so the user sees all of them in one pass. */
class Checker {
  readonly errors: SpecError[] = [];
  constructor(readonly source: YamlSource) {}

  fail(path: KeyPath, detail: string, atKey = false): undefined {
    this.errors.push(this.source.error(path, detail, atKey));
    return undefined;
  }

  map(value: Json, path: KeyPath, what: string): Record<string, Json> | undefined {
    return isRecord(value) ? value : this.fail(path, `expected ${what} (a mapping), got ${describe(value)}`);
  }

  bool(options: Record<string, Json>, key: string, path: KeyPath, fallback: boolean): boolean {
    const value = options[key];
    if (value === undefined || value === null) return fallback;
    if (typeof value === 'boolean') return value;
    this.fail([...path, key], `expected true or false, got ${describe(value)}`);
    return fallback;
  }

  count(value: Json, path: KeyPath): number | undefined {
    if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
    return this.fail(path, `expected a whole number ≥ 0, got ${describe(value)}`);
  }

  columns(value: Json, path: KeyPath): string[] | undefined {
    if (typeof value === 'string' && value !== '') return [value];
    if (Array.isArray(value) && value.length > 0 && value.every((c) => typeof c === 'string' && c !== '')) {
      return value as string[];
    }
    return this.fail(path, `expected a column name or a non-empty list of column names, got ${describe(value)}`);
  }

  /** Reports keys of `options` not in `known`, suggesting the closest known one. */
  unknownKeys(options: Record<string, Json>, known: readonly string[], path: KeyPath, what: string): void {
    for (const key of Object.keys(options)) {
      if (known.includes(key)) continue;
      const near = nearestKey(key, known);
      const hint = near === undefined ? '' : ` (did you mean \`${near}\`?)`;
      this.fail([...path, key], `unknown key \`${key}\` in ${what}${hint}; expected one of: ${known.join(', ')}`, true);
    }
  }

  encoding(options: Record<string, Json>, path: KeyPath): TextEncoding {
    const value = options['encoding'];
    if (value === undefined || value === null) return 'utf8';
    const canonical = typeof value === 'string' ? ENCODINGS[value.toLowerCase()] : undefined;
    if (canonical) return canonical;
    const unsupported = value === 'utf16' || value === 'utf32';
    this.fail(
      [...path, 'encoding'],
      unsupported
        ? `encoding ${String(value)} is not supported by parajob; expected one of: utf8, utf8bom, ascii, latin1, iso88591, windows1252`
        : `unknown encoding ${describe(value)}; expected one of: utf8, utf8bom, ascii, latin1, iso88591, windows1252`,
    );
    return 'utf8';
  }
}

/** A short rendering of a YAML value for messages. */
function describe(value: Json): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value} ${JSON.stringify(value)}`;
}

/**
 * Checks an MLTable document. Throws SpecErrors (every problem, each naming the MLTable file, the key
 * path and the line) when anything is wrong; unknown or unsupported transformations are named.
 */
export function parseMLTable(source: YamlSource): ParsedMLTable {
  const check = new Checker(source);
  const root = check.map(source.toJS(), [], 'the MLTable');
  if (!root) throw new SpecErrors(check.errors);
  check.unknownKeys(root, TOP_LEVEL_KEYS, [], 'the MLTable');
  if (root['type'] !== undefined && root['type'] !== 'mltable') {
    check.fail(['type'], `expected \`mltable\`, got ${describe(root['type'])}`);
  }
  const paths = parsePaths(check, root['paths']);
  const { reader, transforms } = parseTransformations(check, root['transformations']);
  if (check.errors.length > 0) throw new SpecErrors(check.errors);
  return { paths, reader, transforms };
}

function parsePaths(check: Checker, value: Json): PathEntry[] {
  if (!Array.isArray(value) || value.length === 0) {
    check.fail(
      ['paths'],
      `expected a non-empty list of {file: …}, {folder: …} or {pattern: …}, got ${describe(value)}`,
    );
    return [];
  }
  const entries: PathEntry[] = [];
  value.forEach((item: Json, index) => {
    const path: KeyPath = ['paths', index];
    const entry = check.map(item, path, 'a path entry');
    if (!entry) return;
    const kinds = (['file', 'folder', 'pattern'] as const).filter((k) => entry[k] !== undefined);
    check.unknownKeys(entry, ['file', 'folder', 'pattern'], path, 'a path entry');
    if (kinds.length !== 1) {
      check.fail(
        path,
        `expected exactly one of file, folder, pattern; got ${kinds.length === 0 ? 'none' : kinds.join(' and ')}`,
      );
      return;
    }
    const kind = kinds[0]!;
    const text = entry[kind];
    if (typeof text !== 'string' || text.trim() === '') {
      check.fail([...path, kind], `expected a non-empty path string, got ${describe(text)}`);
      return;
    }
    entries.push({ kind, value: text, keyPath: [...path, kind] });
  });
  return entries;
}

function parseTransformations(
  check: Checker,
  value: Json,
): { reader: TabularReader | undefined; transforms: TableTransform[] } {
  const transforms: TableTransform[] = [];
  let reader: TabularReader | undefined;
  if (value === undefined || value === null) return { reader, transforms };
  if (!Array.isArray(value)) {
    check.fail(['transformations'], `expected a list of transformations, got ${describe(value)}`);
    return { reader, transforms };
  }
  const known = [...READ_TRANSFORMS, ...TABLE_TRANSFORMS];
  value.forEach((item: Json, index) => {
    const path: KeyPath = ['transformations', index];
    // `- read_delimited` alone (a bare string) means "with all defaults".
    const entry = typeof item === 'string' ? { [item]: null } : check.map(item, path, 'a transformation');
    if (!entry) return;
    const names = Object.keys(entry);
    if (names.length !== 1) {
      check.fail(
        path,
        `expected one transformation per list item, got ${names.length === 0 ? 'none' : names.join(', ')}`,
      );
      return;
    }
    const name = names[0]!;
    const at: KeyPath = [...path, name];
    const options = entry[name];
    if (UNSUPPORTED_TRANSFORMS.includes(name)) {
      check.fail(at, `transformation \`${name}\` is not supported by parajob; supported: ${known.join(', ')}`, true);
    } else if (READ_TRANSFORMS.includes(name)) {
      if (reader) check.fail(at, `a second read transformation \`${name}\`: an MLTable has at most one read_*`, true);
      else reader = parseReader(check, name, options ?? {}, at);
    } else if (TABLE_TRANSFORMS.includes(name)) {
      const transform = parseTableTransform(check, name, options, at);
      if (transform) transforms.push(transform);
    } else {
      const near = nearestKey(name, known);
      const hint = near === undefined ? '' : ` (did you mean \`${near}\`?)`;
      check.fail(at, `unknown transformation \`${name}\`${hint}; expected one of: ${known.join(', ')}`, true);
    }
  });
  if (!reader) {
    for (const [index, transform] of transforms.entries()) {
      if (transform.kind !== 'extract_columns_from_partition_format') {
        check.fail(
          ['transformations'],
          `\`${transform.kind}\` (item ${index}) needs a read_delimited, read_json_lines or read_parquet transformation: without one the MLTable is a file list`,
        );
      }
    }
  }
  return { reader, transforms };
}

function parseReader(check: Checker, name: string, value: Json, path: KeyPath): TabularReader | undefined {
  const options = check.map(value, path, `${name} options`);
  if (!options) return undefined;
  if (name === 'read_parquet') {
    check.unknownKeys(options, ['include_path_column', 'path_column'], path, name);
    return { format: 'parquet', includePathColumn: check.bool(options, 'include_path_column', path, false) };
  }
  if (name === 'read_json_lines') {
    check.unknownKeys(options, ['include_path_column', 'invalid_lines', 'encoding', 'path_column'], path, name);
    const invalid = options['invalid_lines'] ?? 'error';
    if (invalid !== 'error' && invalid !== 'drop') {
      check.fail([...path, 'invalid_lines'], `expected error or drop, got ${describe(invalid)}`);
    }
    return {
      format: 'json_lines',
      invalidLines: invalid === 'drop' ? 'drop' : 'error',
      encoding: check.encoding(options, path),
      includePathColumn: check.bool(options, 'include_path_column', path, false),
    };
  }
  check.unknownKeys(
    options,
    [
      'delimiter',
      'header',
      'encoding',
      'empty_as_string',
      'include_path_column',
      'support_multi_line',
      'infer_column_types',
      'path_column',
    ],
    path,
    name,
  );
  const delimiter = options['delimiter'] ?? ',';
  if (
    typeof delimiter !== 'string' ||
    delimiter.length !== 1 ||
    delimiter === '"' ||
    delimiter === '\n' ||
    delimiter === '\r'
  ) {
    check.fail(
      [...path, 'delimiter'],
      `expected one character other than a quote or a newline (e.g. "," or "\\t"), got ${describe(delimiter)}`,
    );
  } else if (Buffer.byteLength(delimiter) !== 1) {
    check.fail([...path, 'delimiter'], `expected a one-byte (ASCII) delimiter, got ${describe(delimiter)}`);
  }
  const header = options['header'] ?? 'all_files_same_headers';
  if (typeof header !== 'string' || !HEADER_MODES.includes(header as HeaderMode)) {
    check.fail(
      [...path, 'header'],
      `unknown header mode ${describe(header)}; expected one of: ${HEADER_MODES.join(', ')}`,
    );
  }
  return {
    format: 'delimited',
    delimiter: typeof delimiter === 'string' ? delimiter : ',',
    header: HEADER_MODES.includes(header as HeaderMode) ? (header as HeaderMode) : 'all_files_same_headers',
    encoding: check.encoding(options, path),
    emptyAsString: check.bool(options, 'empty_as_string', path, false),
    includePathColumn: check.bool(options, 'include_path_column', path, false),
    supportMultiLine: check.bool(options, 'support_multi_line', path, false),
    inferColumnTypes: check.bool(options, 'infer_column_types', path, true),
  };
}

function parseTableTransform(check: Checker, name: string, value: Json, path: KeyPath): TableTransform | undefined {
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
