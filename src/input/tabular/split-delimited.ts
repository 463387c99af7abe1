/**
 * A fast splitter of delimited text into records, for the common case: it gives exactly what
 * csv-parse gives with read-delimited.ts's options (quote and escape `"`, records ending at `\n` or
 * `\r\n`, empty lines skipped, quotes inside an unquoted field kept as text) for every text whose
 * quoted fields are well formed, and gives up (undefined) on the rest — a closing quote followed by
 * anything but a delimiter or a line end, or a quote left open — so the caller parses that text with
 * csv-parse, which decides (and words the error) as it always has.
 *
 * Why: csv-parse handles every option through one general state machine, and on tabular mini-batches
 * it was most of a worker's reading time; this loop only scans for the few characters that matter.
 */

const QUOTE = 0x22;
const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/** The records of `text` (fields as strings), or undefined when csv-parse must decide. */
export function splitDelimited(text: string, delimiter: string): string[][] | undefined {
  if (delimiter.length !== 1) return undefined;
  const separator = delimiter.charCodeAt(0);
  if (separator === QUOTE || separator === NEWLINE || separator === CARRIAGE_RETURN) return undefined;
  const records: string[][] = [];
  const length = text.length;
  let position = 0;
  while (position < length) {
    // An empty line (`\n` or `\r\n`) is no record.
    const first = text.charCodeAt(position);
    if (first === NEWLINE) {
      position += 1;
      continue;
    }
    if (first === CARRIAGE_RETURN && text.charCodeAt(position + 1) === NEWLINE) {
      position += 2;
      continue;
    }
    const record: string[] = [];
    for (;;) {
      let field: string;
      if (text.charCodeAt(position) === QUOTE) {
        // A quoted field: `""` is a quote; the closing quote must end the field.
        let value = '';
        let from = position + 1;
        for (;;) {
          const quote = text.indexOf('"', from);
          if (quote === -1) return undefined;
          if (text.charCodeAt(quote + 1) === QUOTE) {
            value += text.slice(from, quote + 1);
            from = quote + 2;
            continue;
          }
          value += text.slice(from, quote);
          position = quote + 1;
          break;
        }
        field = value;
        const next = position < length ? text.charCodeAt(position) : -1;
        if (
          next !== -1 &&
          next !== separator &&
          next !== NEWLINE &&
          !(next === CARRIAGE_RETURN && text.charCodeAt(position + 1) === NEWLINE)
        )
          return undefined;
      } else {
        // An unquoted field runs to the next delimiter or line end (a `\r` not before `\n` is text).
        const start = position;
        let code = 0;
        while (position < length) {
          code = text.charCodeAt(position);
          if (code === separator || code === NEWLINE) break;
          position += 1;
        }
        const end =
          position < length && code === NEWLINE && position > start && text.charCodeAt(position - 1) === CARRIAGE_RETURN
            ? position - 1
            : position;
        field = text.slice(start, end);
      }
      record.push(field);
      if (position >= length) break;
      const code = text.charCodeAt(position);
      if (code === separator) {
        position += 1;
        if (position >= length) {
          // A delimiter at the very end: one more, empty, field.
          record.push('');
          break;
        }
        continue;
      }
      // The line end after the field.
      position += code === CARRIAGE_RETURN ? 2 : 1;
      break;
    }
    records.push(record);
  }
  return records;
}
