/**
 * The exactly-once check of an append_row output: every expected line present exactly once, nothing
 * else. Lines are compared as whole strings, in any order (mini-batches finish in any order).
 */
import { readFile } from 'node:fs/promises';

/** What an output holds compared to what it should. */
export interface LineCheck {
  /** Expected lines absent from the output. */
  readonly lost: string[];
  /** Lines present more than once, each listed once per extra copy. */
  readonly duplicated: string[];
  /** Lines present that were not expected at all. */
  readonly unexpected: string[];
  /** Lines in the output. */
  readonly total: number;
}

/** Compares `actual` to `expected` (a multiset compare; O(n)). */
export function checkLines(expected: readonly string[], actual: readonly string[]): LineCheck {
  const wanted = new Map<string, number>();
  for (const line of expected) wanted.set(line, (wanted.get(line) ?? 0) + 1);
  const seen = new Map<string, number>();
  for (const line of actual) seen.set(line, (seen.get(line) ?? 0) + 1);
  const lost: string[] = [];
  const duplicated: string[] = [];
  const unexpected: string[] = [];
  for (const [line, count] of wanted) {
    const got = seen.get(line) ?? 0;
    for (let i = got; i < count; i++) lost.push(line);
    for (let i = count; i < got; i++) duplicated.push(line);
  }
  for (const [line, count] of seen) {
    if (!wanted.has(line)) for (let i = 0; i < count; i++) unexpected.push(line);
  }
  return { lost, duplicated, unexpected, total: actual.length };
}

/** The lines of a text file without the empty one after the final "\n"; [] when the file is absent. */
export async function readLines(file: string): Promise<string[]> {
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return '';
    throw error;
  });
  return text.split('\n').filter((line, index, lines) => line !== '' || index < lines.length - 1);
}

/** Reads `file` and checks it against `expected`. */
export async function checkOutputFile(file: string, expected: readonly string[]): Promise<LineCheck> {
  return checkLines(expected, await readLines(file));
}

/** True when nothing is lost, duplicated or unexpected. */
export function isExact(check: LineCheck): boolean {
  return check.lost.length === 0 && check.duplicated.length === 0 && check.unexpected.length === 0;
}

/** "12 lost, 0 duplicated, 0 unexpected (first lost: a, b, c)", for assertion messages. */
export function describeLineCheck(check: LineCheck): string {
  const sample = (label: string, lines: readonly string[]) =>
    lines.length === 0 ? '' : ` first ${label}: ${lines.slice(0, 3).join(', ')}.`;
  return (
    `${check.lost.length} lost, ${check.duplicated.length} duplicated, ${check.unexpected.length} unexpected of ${check.total} lines.` +
    sample('lost', check.lost) +
    sample('duplicated', check.duplicated) +
    sample('unexpected', check.unexpected)
  );
}
