/**
 * An MLTable's read transformation (read_delimited, read_json_lines, read_parquet) → the TabularReader
 * that says how its files are read; its options are checked, each problem located at its key path.
 */
import type { KeyPath } from '../../jobspec/yaml-source.js';
import type { Checker } from './mltable-checker.js';
import { describe, type Json } from './mltable-checker.js';
import { HEADER_MODES, type HeaderMode, type TabularReader } from './model.js';

/** The names of the read transformations, one of which makes an MLTable a table (not a file list). */
export const READ_TRANSFORMS = ['read_delimited', 'read_json_lines', 'read_parquet'];

/** The reader of read transformation `name` with `value` as its options (undefined: not a mapping). */
export function parseReader(check: Checker, name: string, value: Json, path: KeyPath): TabularReader | undefined {
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
