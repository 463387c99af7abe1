/**
 * `mini_batch_size` parsing: Azure's forms (`10`, `10kb`, `100MB`, `1gb`) plus parajob's rows
 * extension (`500 rows`, `500rows`).
 */
import type { MiniBatchSize } from './model.js';

/** Azure's regex, quoted in error messages so users see the exact forms it accepts. */
export const AZURE_MINI_BATCH_SIZE_REGEX = String.raw`^\d+([kKmMgG][bB])*$`;

const SIZE_FORM = /^(\d+)([kmg]b)?$/i;
const ROWS_FORM = /^(\d+)\s*rows?$/i;
const UNIT_BYTES: Readonly<Record<string, number>> = { kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };

/** Either the parsed size or a message saying what is wrong and what is expected. */
export type MiniBatchSizeResult =
  { readonly ok: true; readonly size: MiniBatchSize } | { readonly ok: false; readonly message: string };

/**
 * Parses a `mini_batch_size` value as written in YAML (a string or a number). Plain digits stay
 * `plain` (files or bytes, decided later by the input kind); a kb/mb/gb suffix (case-insensitive,
 * ×1024 each step) gives bytes; `<n> rows` gives rows. The value must be ≥ 1.
 */
export function parseMiniBatchSize(raw: string | number): MiniBatchSizeResult {
  const text = String(raw).trim();
  const expected =
    `expected a count like "10", a size like "10kb", "100mb" or "1gb" (Azure's ${AZURE_MINI_BATCH_SIZE_REGEX}), ` +
    `or rows like "500 rows"`;
  const rows = ROWS_FORM.exec(text);
  const sized = SIZE_FORM.exec(text);
  let size: MiniBatchSize;
  if (rows) {
    size = { value: Number(rows[1]), unit: 'rows', text };
  } else if (sized) {
    const suffix = sized[2]?.toLowerCase();
    const count = Number(sized[1]);
    size = suffix
      ? { value: count * (UNIT_BYTES[suffix] ?? 1), unit: 'bytes', text }
      : { value: count, unit: 'plain', text };
  } else {
    return { ok: false, message: `"${text}" is not a valid mini_batch_size; ${expected}` };
  }
  if (!Number.isSafeInteger(size.value) || size.value < 1) {
    return { ok: false, message: `"${text}" is not a valid mini_batch_size: it must be at least 1` };
  }
  return { ok: true, size };
}
