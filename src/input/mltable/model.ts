/**
 * The validated MLTable model: what an `MLTable` YAML file becomes once src/input/mltable/load-mltable.ts
 * has checked it, resolved its `paths` to files and compiled its transformations. Every type here is
 * plain JSON on purpose: the coordinator loads the MLTable once and the reader settings and transforms
 * travel to the nodes, which read their mini-batches with them (src/input/tabular/read-table-batch.ts).
 */

/** How `read_delimited` treats the first record of each file. Azure's default is `all_files_same_headers`. */
export type HeaderMode = 'no_header' | 'from_first_file' | 'all_files_different_headers' | 'all_files_same_headers';

export const HEADER_MODES: readonly HeaderMode[] = [
  'no_header',
  'from_first_file',
  'all_files_different_headers',
  'all_files_same_headers',
];

/**
 * Text encodings parajob reads, by canonical name. All are ASCII-compatible byte encodings, so record
 * boundaries can be found by scanning bytes. Azure's `utf16` and `utf32` are refused with a clear error.
 */
export type TextEncoding = 'utf8' | 'utf8bom' | 'ascii' | 'latin1' | 'windows1252';

/** `read_delimited` settings (defaults as in Azure's `from_delimited_files`). */
export interface DelimitedReader {
  readonly format: 'delimited';
  /** One character. @default ',' */
  readonly delimiter: string;
  /** @default 'all_files_same_headers' */
  readonly header: HeaderMode;
  /** @default 'utf8' */
  readonly encoding: TextEncoding;
  /** false: an empty field is null; true: it is the empty string. @default false */
  readonly emptyAsString: boolean;
  /** Adds a `Path` column (the file's absolute path) as the first column. @default false */
  readonly includePathColumn: boolean;
  /** false: every newline ends a record, even inside quotes. @default false */
  readonly supportMultiLine: boolean;
  /** Infer int/float/bool per column, once per table, from the table's first 200 rows. @default true */
  readonly inferColumnTypes: boolean;
  /**
   * For `from_first_file`: absolute path of the file whose first record names the columns (the first
   * file of the table in sorted order). Unset for the other header modes.
   */
  readonly headerFile?: string;
}

/** `read_json_lines` settings: one JSON object per line. */
export interface JsonLinesReader {
  readonly format: 'json_lines';
  /** 'error': a line that is not a JSON object fails the mini-batch; 'drop': it is skipped. @default 'error' */
  readonly invalidLines: 'error' | 'drop';
  /** @default 'utf8' */
  readonly encoding: TextEncoding;
  /** @default false */
  readonly includePathColumn: boolean;
}

/** `read_parquet` settings. Mini-batches of a parquet file are whole row groups. */
export interface ParquetReader {
  readonly format: 'parquet';
  /** @default false */
  readonly includePathColumn: boolean;
}

/** How a tabular file is read: JSON-serialisable, it travels to the nodes. */
export type TabularReader = DelimitedReader | JsonLinesReader | ParquetReader;

/** Target type of one `convert_column_types` entry. */
export type ColumnType =
  | { readonly type: 'int' }
  | { readonly type: 'float' }
  | { readonly type: 'string' }
  | {
      readonly type: 'boolean';
      /** Values read as true / false, compared as written. Defaults: true/True/TRUE/1 and false/False/FALSE/0. */
      readonly trueValues?: readonly string[];
      readonly falseValues?: readonly string[];
      /** What a value in neither list becomes; 'error' makes it null (Azure: an error value). @default 'error' */
      readonly mismatchAs?: 'true' | 'false' | 'error';
    }
  | {
      readonly type: 'datetime';
      /** strftime-style formats tried in order (%Y %m %d %H %M %S %f); empty: ISO 8601. */
      readonly formats: readonly string[];
    };

/** One transformation after the read, in MLTable order. `take`/`skip` are applied by the cutters. */
export type TableTransform =
  | { readonly kind: 'take'; readonly count: number }
  | { readonly kind: 'skip'; readonly count: number }
  | { readonly kind: 'drop_columns'; readonly columns: readonly string[] }
  | { readonly kind: 'keep_columns'; readonly columns: readonly string[] }
  | {
      readonly kind: 'convert_column_types';
      readonly conversions: readonly { readonly columns: readonly string[]; readonly columnType: ColumnType }[];
    }
  | {
      readonly kind: 'extract_columns_from_partition_format';
      /** As written, e.g. `{Store}/{Brand}/{file_name}.{ext}` or `{date:yyyy/MM/dd}/data.csv`. */
      readonly format: string;
      /** Absolute folder the file paths are made relative to before matching (the MLTable's folder). */
      readonly baseDir: string;
    };

/** An MLTable with `paths` and no read transformation: a list of files. */
export interface FileListMLTable {
  readonly kind: 'files';
  /** Absolute path of the MLTable file. */
  readonly source: string;
  /** Absolute paths, deduplicated and sorted by code point. */
  readonly files: readonly string[];
  /** Only `extract_columns_from_partition_format` is allowed here (for partition_keys over files). */
  readonly transforms: readonly TableTransform[];
}

/** An MLTable with a read transformation: a table whose rows are split into mini-batches. */
export interface TabularMLTable {
  readonly kind: 'tabular';
  readonly source: string;
  /** Absolute paths, deduplicated and sorted by code point. */
  readonly files: readonly string[];
  readonly reader: TabularReader;
  readonly transforms: readonly TableTransform[];
}

export type MLTable = FileListMLTable | TabularMLTable;

/** A half-open byte range `[start, end)` of one file; the shape of the worker protocol's ByteRangeItem. */
export interface ByteRange {
  /** Absolute path. */
  readonly path: string;
  /** First byte (0-based, inclusive). */
  readonly start: number;
  /** One past the last byte. */
  readonly end: number;
  /**
   * The data file's path as the input names it, when `path` is a local copy of it (a node that does
   * not see the input: src/node/inputs/stage-ranges.ts): what include_path_column and partition
   * formats see.
   */
  readonly sourcePath?: string;
}

/** A byte range that also knows how many rows (non-empty records) it holds. */
export interface CountedByteRange extends ByteRange {
  readonly rows: number;
}
