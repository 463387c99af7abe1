/**
 * A parsed YAML file that remembers where every key and value sits, so that errors can name the
 * file, the key path and the line. Shared by the job spec and the MLTable parser.
 */
import { readFile } from 'node:fs/promises';

import { type Document, isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';

import { type SourceLocation, SpecError, SpecErrors } from '../errors.js';
import { findDuplicateKeys } from './unique-keys.js';

export type KeyPath = readonly (string | number)[];

export class YamlSource {
  private constructor(
    readonly file: string,
    readonly document: Document.Parsed,
    private readonly lines: LineCounter,
  ) {}

  /** Parses YAML text; a syntax error becomes a SpecErrors naming the file and line. */
  static parse(file: string, text: string): YamlSource {
    const lines = new LineCounter();
    // uniqueKeys off: the package's check is quadratic; findDuplicateKeys does it in one pass.
    const document = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false });
    const problems = [
      ...document.errors.map((error) => ({ offset: error.pos[0], message: error.message.split('\n')[0] ?? '' })),
      ...findDuplicateKeys(document).map(({ key, offset }) => ({
        offset,
        message: `Map keys must be unique (${key})`,
      })),
    ];
    if (problems.length > 0) {
      throw new SpecErrors(
        problems.map(({ offset, message }) => {
          // With prettyErrors off the package leaves linePos unset: compute it from the offset.
          const pos = lines.linePos(offset);
          const location: SourceLocation = { file, keyPath: '', line: pos.line, column: pos.col };
          return new SpecError(location, `invalid YAML: ${message}`);
        }),
      );
    }
    return new YamlSource(file, document, lines);
  }

  static async read(file: string): Promise<YamlSource> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw new SpecError({ file, keyPath: '' }, `cannot read the file: ${(error as Error).message}`);
    }
    return YamlSource.parse(file, text);
  }

  /** The plain JS value of the document. */
  toJS(): unknown {
    return this.document.toJS({ maxAliasCount: 100 });
  }

  /**
   * Location of the value at `path` (or of its key when `atKey`); when the path does not exist, the
   * deepest ancestor that does, so "missing key" errors point at the map that should hold it.
   */
  locate(path: KeyPath, atKey = false): SourceLocation {
    let node: unknown = this.document.contents;
    let best: Node | undefined = node as Node | undefined;
    for (let i = 0; i < path.length; i++) {
      const key = path[i];
      if (isMap(node)) {
        const pair = node.items.find(
          (item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(key),
        );
        if (!pair) break;
        const last = i === path.length - 1;
        best = (last && atKey ? pair.key : (pair.value ?? pair.key)) as Node;
        node = pair.value;
      } else if (isSeq(node) && typeof key === 'number') {
        const item = node.items[key];
        if (!item) break;
        best = item as Node;
        node = item;
      } else {
        break;
      }
    }
    const location: SourceLocation = { file: this.file, keyPath: formatKeyPath(path) };
    const offset = best?.range?.[0];
    if (offset === undefined) return location;
    const pos = this.lines.linePos(offset);
    return { ...location, line: pos.line, column: pos.col };
  }

  /** A SpecError located at `path`. */
  error(path: KeyPath, detail: string, atKey = false): SpecError {
    return new SpecError(this.locate(path, atKey), detail);
  }
}

/** `jobs.score.inputs[0].path`-style rendering of a key path. */
export function formatKeyPath(path: KeyPath): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? key : `.${key}`;
  }
  return out;
}
