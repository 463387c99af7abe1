/**
 * Finds record boundaries in delimited bytes without parsing fields. With quoting on
 * (`support_multi_line: true`), a newline inside a quoted field is not a boundary, so the tracker must
 * see every quote from the start of the file: there is no safe way to tell, from an arbitrary byte,
 * whether it sits inside quotes. It stays fast by jumping between quotes and newlines with
 * Buffer.indexOf (memchr speed) instead of looking at every byte from JavaScript.
 *
 * Its quote rules are those of csv-parse with `relax_quotes: true` (which the reader uses), so the
 * cutter and the reader agree on where records end: a quote opens a quoted field only at the start of a
 * field (after a delimiter, a newline or at the start of the data); inside, `""` is a literal quote and
 * any other quote closes the field; a quote in the middle of an unquoted field is a literal character.
 */

export const QUOTE = 0x22;
export const NEWLINE = 0x0a;
export const CARRIAGE_RETURN = 0x0d;

/** After this many quotes in one stretch, check the density. */
const DENSE_QUOTES_PROBE = 64;
/** Quotes closer than this on average (bytes) count as dense (measured break-even: ~25 ns per indexOf call vs ~2 ns per byte). */
const DENSE_QUOTE_SPACING = 12;

/** Resumable quote state over a byte stream fed in order, chunk by chunk. */
export class QuoteTracker {
  /** Inside a quoted field. */
  private inQuotes = false;
  /**
   * A quote was seen inside a quoted field as the last byte fed: it is an escaped quote if the next byte
   * is a quote, otherwise it closes the field.
   */
  private pendingQuote = false;
  /** The last byte fed (a newline at the start of the data: a quote there opens a field). */
  private previousByte = NEWLINE;

  /**
   * @param quoting false: quotes never hide newlines (every newline ends a record).
   * @param delimiterByte The field delimiter (one byte).
   */
  constructor(
    readonly quoting: boolean,
    private readonly delimiterByte: number,
  ) {}

  /** Feeds `chunk[from, to)`; the state then describes the position `to`. */
  advance(chunk: Buffer, from: number, to: number): void {
    if (to <= from) return;
    if (this.quoting) this.trackQuotes(chunk, from, to);
    this.previousByte = chunk[to - 1]!;
  }

  /**
   * Finds the first newline at index ≥ `from` (and < `to`) that ends a record, feeding everything up
   * to and including it. Returns the index just after that newline, or -1 when there is none before
   * `to` (then everything up to `to` has been fed).
   */
  nextBoundary(chunk: Buffer, from: number, to: number): number {
    let index = from;
    while (index < to) {
      const newline = chunk.indexOf(NEWLINE, index);
      if (newline === -1 || newline >= to) {
        this.advance(chunk, index, to);
        return -1;
      }
      this.advance(chunk, index, newline);
      if (this.pendingQuote) {
        // The byte after the pending quote is this newline, not a quote: the quote closed the field.
        this.pendingQuote = false;
        this.inQuotes = false;
      }
      this.previousByte = NEWLINE;
      if (!this.inQuotes) return newline + 1;
      index = newline + 1;
    }
    return -1;
  }

  /** The byte just before the current position (a newline at the start of the data). */
  get lastByte(): number {
    return this.previousByte;
  }

  private trackQuotes(chunk: Buffer, from: number, to: number): void {
    let index = from;
    if (this.pendingQuote) {
      this.pendingQuote = false;
      if (chunk[index] === QUOTE)
        index += 1; // `""`: an escaped quote, still inside the field
      else this.inQuotes = false;
    }
    let quotesSeen = 0;
    while (index < to) {
      // Dense quotes (a quote every few bytes): one indexOf call per quote costs more than looking at
      // each byte, so the rest of the stretch goes through the byte loop.
      if (quotesSeen === DENSE_QUOTES_PROBE && index - from < DENSE_QUOTES_PROBE * DENSE_QUOTE_SPACING) {
        this.trackQuotesByByte(chunk, index, to, from);
        return;
      }
      const quote = chunk.indexOf(QUOTE, index);
      if (quote === -1 || quote >= to) return;
      quotesSeen += 1;
      index = this.onQuote(chunk, quote, from, to);
      if (index === -1) return;
    }
  }

  /** The same rules as onQuote, one byte at a time, with the state in locals (the hot loop). */
  private trackQuotesByByte(chunk: Buffer, start: number, to: number, from: number): void {
    let inQuotes = this.inQuotes;
    const delimiter = this.delimiterByte;
    let before = start === from ? this.previousByte : chunk[start - 1]!;
    for (let index = start; index < to; index++) {
      const byte = chunk[index]!;
      if (byte === QUOTE) {
        if (inQuotes) {
          if (index + 1 >= to) {
            this.pendingQuote = true;
            break;
          }
          if (chunk[index + 1] === QUOTE) index += 1;
          else inQuotes = false;
        } else if (before === NEWLINE || before === delimiter) {
          inQuotes = true;
        }
      }
      before = byte;
    }
    this.inQuotes = inQuotes;
  }

  /**
   * Applies the quote at `quote` to the state; returns the index to go on from, or -1 when the quote
   * is the last byte fed and its meaning waits for the next byte.
   */
  private onQuote(chunk: Buffer, quote: number, from: number, to: number): number {
    if (this.inQuotes) {
      if (quote + 1 >= to) {
        this.pendingQuote = true;
        return -1;
      }
      if (chunk[quote + 1] === QUOTE) return quote + 2;
      this.inQuotes = false;
      return quote + 1;
    }
    const before = quote === from ? this.previousByte : chunk[quote - 1];
    if (before === NEWLINE || before === this.delimiterByte) this.inQuotes = true;
    return quote + 1;
  }
}

/**
 * For reading without `support_multi_line`: every newline ends a record, so a line whose quoted field
 * is still open at its end gets a closing quote (the field ends with the line). Returns the line
 * unchanged when its quotes balance. `line` has no newline; a trailing `\r` is kept last.
 */
export function closeOpenQuote(line: string, delimiter: string): string {
  if (!line.includes('"')) return line;
  let inQuotes = false;
  let index = 0;
  const end = line.endsWith('\r') ? line.length - 1 : line.length;
  while (index < end) {
    const quote = line.indexOf('"', index);
    if (quote === -1 || quote >= end) break;
    if (inQuotes) {
      if (line[quote + 1] === '"' && quote + 1 < end) index = quote + 2;
      else {
        inQuotes = false;
        index = quote + 1;
      }
    } else {
      if (quote === 0 || line[quote - 1] === delimiter) inQuotes = true;
      index = quote + 1;
    }
  }
  if (!inQuotes) return line;
  return `${line.slice(0, end)}"${line.slice(end)}`;
}
