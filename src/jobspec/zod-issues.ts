/**
 * Turns zod issues into located SpecErrors: the key path of each issue is looked up in the YAML so
 * that the message names the file, the line and the key.
 */
import type * as z from 'zod';

import type { SpecError } from '../errors.js';
import type { KeyPath, YamlSource } from './yaml-source.js';

type Issue = z.core.$ZodIssue;

/** zod's type names in the words a YAML author uses. */
const EXPECTED_WORDS: Readonly<Record<string, string>> = {
  object: 'a map',
  array: 'a list',
  record: 'a map',
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
};

/** Describes a JS value's type in the words a YAML author uses. */
function describeType(value: unknown): string {
  if (value === null) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  if (typeof value === 'string') return `the string "${value}"`;
  return `${typeof value} ${String(value)}`;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let node = root;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

/** True for a branch of a union that failed only because the value is not of that branch's type. */
function isTypeMismatchOnly(issues: readonly Issue[]): boolean {
  return issues.every(
    (issue) =>
      issue.path.length === 0 &&
      (issue.code === 'invalid_type' || (issue.code === 'invalid_union' && issue.errors.every(isTypeMismatchOnly))),
  );
}

/**
 * One SpecError per problem in `issues`, which came from parsing `value` (found at `prefix` in
 * `source`). Unknown keys give one error each, located at the key itself; a failed union reports the
 * branch the value was evidently meant for (the one it has the type of) when there is one.
 */
export function issuesToSpecErrors(
  source: YamlSource,
  issues: readonly Issue[],
  value: unknown,
  prefix: KeyPath = [],
): SpecError[] {
  const errors: SpecError[] = [];
  const visit = (issue: Issue, base: readonly PropertyKey[]): void => {
    const relative = [...base, ...issue.path];
    const path: KeyPath = [...prefix, ...relative.map((key) => (typeof key === 'number' ? key : String(key)))];
    switch (issue.code) {
      case 'unrecognized_keys': {
        const lines = issue.message.split('\n');
        issue.keys.forEach((key, index) => {
          const detail = lines.length === issue.keys.length ? (lines[index] as string) : `unknown key "${key}"`;
          errors.push(source.error([...path, key], detail, true));
        });
        return;
      }
      case 'invalid_union': {
        const meant = issue.errors.filter((branch) => !isTypeMismatchOnly(branch));
        const branch = meant[0];
        if (meant.length === 1 && branch) {
          for (const inner of branch) visit(inner, relative);
          return;
        }
        break;
      }
      case 'invalid_type':
      case 'invalid_value': {
        const expected =
          issue.code === 'invalid_type' && issue.message.startsWith('Invalid input')
            ? `expected ${EXPECTED_WORDS[issue.expected] ?? issue.expected}`
            : issue.message.replace(/^Invalid (input|option): /, '');
        const actual = valueAt(value, relative);
        const detail =
          actual === undefined
            ? `is required (${expected.replace(/^expected /, '')})`
            : `${expected}, got ${describeType(actual)}`;
        errors.push(source.error(path, detail));
        return;
      }
      default:
        break;
    }
    errors.push(source.error(path, issue.message));
  };
  for (const issue of issues) visit(issue, []);
  return errors;
}
