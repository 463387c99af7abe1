/**
 * Checks the plain content of an MLTable YAML file and turns it into typed path entries, an optional
 * reader and transforms. It does not touch the filesystem (src/input/mltable/load-mltable.ts resolves
 * the paths). Every problem becomes a SpecError located at its key path; all are reported at once
 * (mltable-checker.ts). The read_* options are checked in parse-reader.ts, the table transformations in
 * parse-table-transforms.ts.
 */
import { SpecErrors } from '../../errors.js';
import { nearestKey } from '../../jobspec/nearest-key.js';
import type { KeyPath, YamlSource } from '../../jobspec/yaml-source.js';
import { Checker, describe, type Json } from './mltable-checker.js';
import type { TableTransform, TabularReader } from './model.js';
import { parseReader, READ_TRANSFORMS } from './parse-reader.js';
import { parseTableTransform, TABLE_TRANSFORMS } from './parse-table-transforms.js';

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
/** Known to Azure but not implemented by parajob: named as such instead of "unknown". */
const UNSUPPORTED_TRANSFORMS = ['read_delta_lake', 'filter', 'take_random_sample'];

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
