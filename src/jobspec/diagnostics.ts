/**
 * Collects every error and warning found while compiling one YAML file, so the user sees them all in
 * one pass instead of fixing them one at a time.
 */
import type { SpecError } from '../errors.js';
import type { KeyPath, YamlSource } from './yaml-source.js';

/** The errors and warnings of one compilation, located in `source`. */
export class Diagnostics {
  constructor(
    readonly source: YamlSource,
    readonly errors: SpecError[] = [],
    readonly warnings: string[] = [],
    private readonly once: Set<string> = new Set(),
  ) {}

  /**
   * Diagnostics located in another file (a component file) that add to the same lists, so that one
   * compilation reports every file's problems together.
   */
  forSource(source: YamlSource): Diagnostics {
    return new Diagnostics(source, this.errors, this.warnings, this.once);
  }

  /** Records a warning once: a second identical one (the same key of a component used twice) is dropped. */
  private push(warning: string): void {
    if (!this.warnings.includes(warning)) this.warnings.push(warning);
  }

  /** Records an error located at `path` (at its key when `atKey`, else at its value). */
  error(path: KeyPath, detail: string, atKey = false): void {
    this.errors.push(this.source.error(path, detail, atKey));
  }

  /** Records errors made elsewhere (e.g. from zod issues). */
  addErrors(errors: readonly SpecError[]): void {
    this.errors.push(...errors);
  }

  /** Records a one-line warning `<file>:<line>:<col>: <key path> <detail>`, located at the key. */
  warn(path: KeyPath, detail: string): void {
    const location = this.source.locate(path, true);
    const where =
      location.line === undefined ? location.file : `${location.file}:${location.line}:${location.column ?? 1}`;
    this.push(`${where}: ${location.keyPath} ${detail}`);
  }

  /** One "ignored by parajob (Azure-only)" warning for each of `keys` present in `object`. */
  warnAzureOnly(object: object | undefined | null, keys: readonly string[], path: KeyPath): void {
    if (!object) return;
    for (const key of keys) {
      if (Object.hasOwn(object, key)) this.warn([...path, key], 'is ignored by parajob (Azure-only)');
    }
  }

  /**
   * One "ignored" warning per compilation for `key` of `object` however many steps and components
   * carry it (`environment`: every Azure sample has one per step; parajob runs the node's own).
   */
  warnOnce(object: object | undefined | null, key: string, path: KeyPath): void {
    if (!object || !Object.hasOwn(object, key) || this.once.has(key)) return;
    this.once.add(key);
    this.warn([...path, key], 'is ignored by parajob (Azure-only)');
  }

  /** Number of errors so far, to tell whether a stage added any. */
  get errorCount(): number {
    return this.errors.length;
  }
}
