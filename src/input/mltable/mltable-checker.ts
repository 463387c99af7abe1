/**
 * The checks an MLTable's parsers share: a Checker collects located SpecErrors while the checks go on
 * (every problem reported in one pass), with the checks of values that recur (mappings, booleans,
 * counts, column names, unknown keys, encodings).
 */
import type { SpecError } from '../../errors.js';
import { nearestKey } from '../../jobspec/nearest-key.js';
import type { KeyPath, YamlSource } from '../../jobspec/yaml-source.js';
import type { TextEncoding } from './model.js';

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

/** A value of the parsed YAML document. */
export type Json = unknown;

export function isRecord(value: Json): value is Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Collects located errors while the checks go on, so the user sees all of them in one pass. */
export class Checker {
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
export function describe(value: Json): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value} ${JSON.stringify(value)}`;
}
