/**
 * A component file with everything it reaches on the client's disk, gathered so that a registered
 * component can live elsewhere (the local data dir's store, or a coordinator on another machine) and
 * read the same forever: the component YAML, every local component file its pipeline steps name
 * (recursively), and every code folder any of them names.
 *
 * The gathered YAML texts are rewritten to point inside the stored home, which is flat:
 *   component.yml   the component itself (document 0)
 *   part-<j>.yml     the j-th component file it reaches (documents 1…)
 *   code-<i>/        the i-th code folder, a snapshot taken at registration
 * Relative input paths of pipeline steps (data, not code) are made absolute: data stays where it is.
 * `azureml:` references stay as written; they are looked up in the registry when a job uses them.
 */
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';

import { type Document, isMap, isScalar, parseDocument, type YAMLMap } from 'yaml';

import { SpecError, SpecErrors } from '../../errors.js';
import { resolveLocalPath } from '../local-path.js';
import { applySetOverrides } from '../set-overrides.js';

/** One YAML document of a bundle, rewritten to its stored home. */
export interface BundleDocument {
  /** Where it was read on the client (absolute), for messages. */
  readonly sourcePath: string;
  /** Its text as it will be stored (paths rewritten, see the module comment). */
  readonly text: string;
}

/** What {@link gatherComponentBundle} returns. */
export interface ComponentBundle {
  /** Document 0 is the component itself (after `--set`), then the files it reaches. */
  readonly documents: readonly BundleDocument[];
  /** Absolute code folders, by index: document texts name folder i as `./code-<i>`. */
  readonly codeFolders: readonly string[];
}

/** The stored file name of document `index` of a bundle. */
export function bundleDocumentName(index: number): string {
  return index === 0 ? 'component.yml' : `part-${index}.yml`;
}

/** The stored folder name of code folder `index` of a bundle. */
export function bundleCodeName(index: number): string {
  return `code-${index}`;
}

/** Keys naming a local path that is data, not code: made absolute, never copied. */
const DATA_PATH = /^(?![a-z][a-z0-9+.-]*:)(?!\$\{\{)/i;

class Gatherer {
  readonly documents: BundleDocument[] = [];
  readonly codeFolders: string[] = [];
  private readonly documentIndex = new Map<string, number>();
  private readonly codeIndex = new Map<string, number>();

  /** Reads `file` (once), rewrites it and every file it reaches; returns its document index. */
  async add(file: string, sets: readonly string[]): Promise<number> {
    const known = this.documentIndex.get(file);
    if (known !== undefined) return known;
    const index = this.documents.length;
    this.documentIndex.set(file, index);
    this.documents.push({ sourcePath: file, text: '' });
    let raw: string;
    try {
      raw = await readFile(file, 'utf8');
    } catch (error) {
      throw located(file, '', `cannot read the component file: ${(error as Error).message}`);
    }
    const document = parseDocument(index === 0 ? applySetOverrides(file, raw, sets) : raw);
    if (document.errors.length > 0) throw located(file, '', document.errors[0]?.message ?? 'invalid YAML');
    const root = document.contents;
    if (isMap(root)) await this.rewriteComponent(root, document, file, []);
    this.documents[index] = { sourcePath: file, text: document.toString() };
    return index;
  }

  /** Rewrites a component (a file's root, or a step's inline `component:` map). */
  private async rewriteComponent(node: YAMLMap, document: Document, file: string, at: string[]): Promise<void> {
    const type = scalarText(node.get('type')) ?? (node.has('jobs') ? 'pipeline' : 'command');
    if (type === 'pipeline') await this.rewriteSteps(node, document, file, at);
    else this.rewriteCode(node, type, file, at);
  }

  private async rewriteSteps(node: YAMLMap, document: Document, file: string, at: string[]): Promise<void> {
    const jobs = node.get('jobs', true);
    if (!isMap(jobs)) return;
    for (const pair of jobs.items) {
      const step = pair.value;
      const name = String(isScalar(pair.key) ? pair.key.value : pair.key);
      if (!isMap(step)) continue;
      const path = [...at, 'jobs', name];
      const component = step.get('component', true);
      if (isMap(component)) await this.rewriteComponent(component, document, file, [...path, 'component']);
      else {
        const ref = scalarText(component);
        if (ref !== undefined && !ref.startsWith('azureml:')) {
          const target = resolve(dirname(file), ref.replace(/^file:/, ''));
          step.set('component', `./${bundleDocumentName(await this.add(target, []))}`);
        } else if (ref === undefined) this.rewriteCode(step, scalarText(step.get('type')) ?? 'command', file, path);
      }
      this.absolutizeInputs(step, file);
    }
  }

  /** Points `code` (command) or `task.code` (parallel, default: the file's folder) at its stored copy. */
  private rewriteCode(node: YAMLMap, type: string, file: string, at: string[]): void {
    const key = type === 'parallel' ? ['task', 'code'] : ['code'];
    const written = scalarText(node.getIn(key));
    if (written === undefined && type !== 'parallel') return;
    const resolved = resolveLocalPath(written ?? '.', dirname(file));
    const where = [...at, ...key].join('.');
    if (!resolved.ok) throw located(file, where, resolved.message);
    if (!existsSync(resolved.path) || !statSync(resolved.path).isDirectory())
      throw located(file, where, `the code folder does not exist: ${resolved.path}`);
    let index = this.codeIndex.get(resolved.path);
    if (index === undefined) {
      index = this.codeFolders.length;
      this.codeFolders.push(resolved.path);
      this.codeIndex.set(resolved.path, index);
    }
    node.setIn(key, `./${bundleCodeName(index)}`);
  }

  /** A step's relative input `path:` values, made absolute against the file they were written in. */
  private absolutizeInputs(step: YAMLMap, file: string): void {
    const inputs = step.get('inputs', true);
    if (!isMap(inputs)) return;
    for (const pair of inputs.items) {
      const input = pair.value;
      if (!isMap(input)) continue;
      const path = scalarText(input.get('path'));
      if (path !== undefined && path !== '' && DATA_PATH.test(path) && !isAbsolute(path))
        input.set('path', resolve(dirname(file), path));
    }
  }
}

function scalarText(value: unknown): string | undefined {
  const plain = isScalar(value) ? value.value : value;
  return typeof plain === 'string' ? plain : undefined;
}

function located(file: string, keyPath: string, message: string): SpecErrors {
  return new SpecErrors([new SpecError({ file, keyPath }, message)]);
}

/**
 * Gathers the component file `file` (with `--set` overrides applied to it) and what it reaches (see the
 * module comment). Throws SpecErrors naming the file and key of an unreadable file or missing code folder;
 * the component itself is validated by the caller (register.ts).
 */
export async function gatherComponentBundle(file: string, sets: readonly string[] = []): Promise<ComponentBundle> {
  const gatherer = new Gatherer();
  await gatherer.add(resolve(file), sets);
  return { documents: gatherer.documents, codeFolders: gatherer.codeFolders };
}
