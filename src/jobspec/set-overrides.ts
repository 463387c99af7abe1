/**
 * `--set PATH=VALUE` (Azure CLI's): `--set inputs.epochs=5`, `--set jobs.score.mini_batch_size=20`,
 * `--set settings.force_rerun=true`. Applied to the YAML document before validation, so the job that
 * is validated, submitted and recompiled by the coordinator is the overridden one. Pure: text in,
 * text out; a malformed override is a SpecError naming it.
 */
import { type Document, isMap, isScalar, isSeq, parse as parseYaml, parseDocument } from 'yaml';

import { SpecError, SpecErrors } from '../errors.js';

/** One parsed override. */
export interface SetOverride {
  readonly path: readonly (string | number)[];
  readonly value: unknown;
  /** As written, for messages. */
  readonly text: string;
}

/**
 * Parses `PATH=VALUE`. PATH is dot-separated keys (`[n]` or a number indexes a list); VALUE is read
 * as YAML, so `5` is a number, `true` a boolean, `{a: 1}` a map, anything else a string.
 */
export function parseSetOverride(text: string): SetOverride | string {
  const equals = text.indexOf('=');
  if (equals <= 0) return `--set ${text}: expected PATH=VALUE, e.g. inputs.epochs=5`;
  const rawPath = text.slice(0, equals).trim();
  const rawValue = text.slice(equals + 1);
  const path: (string | number)[] = [];
  for (const part of rawPath.replace(/\[(\d+)\]/g, '.$1').split('.')) {
    if (part === '') return `--set ${text}: the path "${rawPath}" has an empty key`;
    path.push(/^\d+$/.test(part) ? Number(part) : part);
  }
  let value: unknown = rawValue;
  try {
    value = rawValue.trim() === '' ? '' : (parseYaml(rawValue) as unknown);
  } catch {
    // Not YAML: taken as the string written.
  }
  return { path, value, text };
}

/**
 * `yamlText` with each override applied in order (missing maps on the way are created). Throws
 * SpecErrors listing every malformed override, or one that walks through a scalar.
 */
export function applySetOverrides(file: string, yamlText: string, overrides: readonly string[]): string {
  if (overrides.length === 0) return yamlText;
  const document = parseDocument(yamlText);
  const errors: SpecError[] = [];
  for (const text of overrides) {
    const parsed = parseSetOverride(text);
    if (typeof parsed === 'string') {
      errors.push(new SpecError({ file, keyPath: '' }, parsed));
      continue;
    }
    const blocker = prepareWay(document, parsed.path);
    if (blocker !== undefined) {
      errors.push(
        new SpecError(
          { file, keyPath: parsed.path.slice(0, blocker + 1).join('.') },
          `--set ${text}: is a value, not a map, so it has no key "${String(parsed.path[blocker + 1])}"`,
        ),
      );
      continue;
    }
    document.setIn(parsed.path, document.createNode(parsed.value));
  }
  if (errors.length > 0) throw new SpecErrors(errors);
  return document.toString();
}

/**
 * Walks `path` short of its last key, turning empty values on the way into maps (`outputs: {o: }`
 * then `--set outputs.o.type=uri_file`); the index of a key that holds a scalar, if one blocks it.
 */
function prepareWay(document: Document, path: readonly (string | number)[]): number | undefined {
  let node: unknown = document.contents;
  for (let index = 0; index < path.length - 1; index++) {
    if (!isMap(node) && !isSeq(node)) return undefined;
    const key = path[index];
    let next: unknown = node.get(key, true);
    if (next === undefined) return undefined;
    if (isScalar(next) && next.value === null) {
      next = document.createNode({});
      node.set(key, next);
    }
    if (!isMap(next) && !isSeq(next)) return index;
    node = next;
  }
  return undefined;
}
