/**
 * "Did you mean …?" for unknown YAML keys: the closest valid key by edit distance.
 */
import { closest, distance } from 'fastest-levenshtein';

/**
 * The valid key nearest to `key`, or undefined when none is close enough to be a plausible typo
 * (more than 3 edits and more than half the key's length away), or there are no candidates.
 */
export function nearestKey(key: string, candidates: readonly string[]): string | undefined {
  if (candidates.length === 0) return undefined;
  const best = closest(key, [...candidates]);
  const edits = distance(key, best);
  return edits <= Math.max(3, Math.floor(key.length / 2)) ? best : undefined;
}

/**
 * The message for one unknown key: `unknown key; did you mean "x"?`, or the list of valid keys when
 * nothing is close.
 */
export function unknownKeyMessage(key: string, candidates: readonly string[]): string {
  const near = nearestKey(key, candidates);
  if (near !== undefined) return `unknown key; did you mean "${near}"?`;
  return `unknown key "${key}"; expected one of: ${[...candidates].sort().join(', ')}`;
}
