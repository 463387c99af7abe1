/**
 * Column types: inference for `read_delimited.infer_column_types` and conversion for
 * `convert_column_types`. Values are JSON (string, number, boolean, null).
 *
 * Inference follows Azure's documented behaviour (the first 200 rows decide) but, because parajob
 * reads one mini-batch at a time, it runs per mini-batch on that batch's first 200 rows: a column can
 * be int in one mini-batch and string in another when the data is mixed. A value past the sample that
 * does not fit the inferred type is kept as its string (never silently dropped).
 */
import type { ColumnType } from '../mltable/model.js';

/** Rows of a batch that decide a column's inferred type. */
export const INFERENCE_SAMPLE_ROWS = 200;

export type InferredType = 'int' | 'float' | 'bool' | 'string';

const INT = /^[+-]?\d+$/;
const FLOAT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const BOOL = /^(?:true|false)$/i;

function fits(value: string, type: InferredType): boolean {
  switch (type) {
    case 'int':
      return INT.test(value) && Number.isSafeInteger(Number(value));
    case 'float':
      return FLOAT.test(value);
    case 'bool':
      return BOOL.test(value);
    default:
      return true;
  }
}

/**
 * The narrowest type (bool, int, float, else string) that every non-null string value in the first
 * INFERENCE_SAMPLE_ROWS rows of column `column` fits. A column with no values there is string.
 */
export function inferColumnType(rows: readonly (readonly unknown[])[], column: number): InferredType {
  const candidates: InferredType[] = ['bool', 'int', 'float'];
  let sawValue = false;
  const sample = Math.min(rows.length, INFERENCE_SAMPLE_ROWS);
  for (let r = 0; r < sample && candidates.length > 0; r++) {
    const value = rows[r]![column];
    if (typeof value !== 'string') continue;
    if (value === '') return 'string';
    sawValue = true;
    for (let c = candidates.length - 1; c >= 0; c--) if (!fits(value, candidates[c]!)) candidates.splice(c, 1);
  }
  return sawValue && candidates.length > 0 ? candidates[0]! : 'string';
}

/** `value` as `type` when it fits, else unchanged. */
export function applyInferredType(value: unknown, type: InferredType): unknown {
  if (typeof value !== 'string' || type === 'string') return value;
  // The common spellings first: no regular expression, no lower-cased copy.
  if (type === 'bool') {
    if (value === 'true' || value === 'false') return value === 'true';
    return BOOL.test(value) ? value.toLowerCase() === 'true' : value;
  }
  if (type === 'int') {
    if (!INT.test(value)) return value;
    const number = Number(value);
    return Number.isSafeInteger(number) ? number : value;
  }
  return FLOAT.test(value) ? Number(value) : value;
}

const DEFAULT_TRUE = ['true', 'True', 'TRUE', '1'];
const DEFAULT_FALSE = ['false', 'False', 'FALSE', '0'];

/** Converts one value per a `convert_column_types` entry; a value that cannot be converted is null. */
export function convertValue(value: unknown, target: ColumnType): unknown {
  if (value === null || value === undefined) return null;
  const text = typeof value === 'string' ? value.trim() : value;
  switch (target.type) {
    case 'string':
      return typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
    case 'int': {
      if (typeof text === 'number') return Number.isFinite(text) ? Math.trunc(text) : null;
      if (typeof text === 'boolean') return text ? 1 : 0;
      if (typeof text === 'string' && INT.test(text)) return Number(text);
      if (typeof text === 'string' && FLOAT.test(text)) return Math.trunc(Number(text));
      return null;
    }
    case 'float': {
      if (typeof text === 'number') return text;
      if (typeof text === 'boolean') return text ? 1 : 0;
      return typeof text === 'string' && FLOAT.test(text) ? Number(text) : null;
    }
    case 'boolean': {
      if (typeof text === 'boolean') return text;
      const asText = String(text);
      if ((target.trueValues ?? DEFAULT_TRUE).includes(asText)) return true;
      if ((target.falseValues ?? DEFAULT_FALSE).includes(asText)) return false;
      return target.mismatchAs === 'true' ? true : target.mismatchAs === 'false' ? false : null;
    }
    case 'datetime':
      return parseDatetime(String(text), target.formats);
  }
}

/**
 * Parses a date/time with strftime-style `formats` (tried in order; `%Y %m %d %H %M %S %f` and
 * literal text) or, with no formats, as ISO 8601. Returns an ISO 8601 UTC string, or null.
 */
export function parseDatetime(text: string, formats: readonly string[]): string | null {
  if (formats.length === 0) {
    // A date-time without a zone is read as UTC (Date.parse would use the machine's zone).
    const zoneless = /^\d{4}-\d\d-\d\d[T ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?$/.test(text);
    const time = Date.parse(zoneless ? `${text.replace(' ', 'T')}Z` : text);
    return Number.isNaN(time) ? null : new Date(time).toISOString();
  }
  for (const format of formats) {
    const fields: string[] = [];
    const pattern = format.replace(/%([YmdHMSf])|[.*+?^${}()|[\]\\]/g, (match, directive: string | undefined) => {
      if (!directive) return `\\${match}`;
      fields.push(directive);
      return directive === 'Y' ? '(\\d{4})' : directive === 'f' ? '(\\d{1,6})' : '(\\d{1,2})';
    });
    const match = new RegExp(`^${pattern}$`).exec(text);
    if (!match) continue;
    const part = (directive: string, fallback: number) => {
      const index = fields.indexOf(directive);
      return index === -1 ? fallback : Number(match[index + 1]);
    };
    const fractionIndex = fields.indexOf('f');
    const fraction = fractionIndex === -1 ? '' : (match[fractionIndex + 1] ?? '');
    const millis = fraction ? Math.round(Number(`0.${fraction}`) * 1000) : 0;
    const date = new Date(
      Date.UTC(part('Y', 1970), part('m', 1) - 1, part('d', 1), part('H', 0), part('M', 0), part('S', 0), millis),
    );
    if (!Number.isNaN(date.getTime())) return date.toISOString();
  }
  return null;
}
