/**
 * The order steps compile (and run) in: a producer before the steps that consume its outputs, the
 * written order otherwise; steps caught in a cycle are named with the cycle. Pure.
 */
import { parseReference } from './bindings.js';

const EXPRESSION = /\$\{\{\s*(.*?)\s*\}\}/g;

/** The sibling steps `raw` (a step as written) refers to through `${{parent.jobs.<step>.…}}`. */
export function referencedSteps(raw: unknown): string[] {
  const found = new Set<string>();
  const visit = (value: unknown): void => {
    if (typeof value === 'string') {
      for (const match of value.matchAll(EXPRESSION)) {
        const reference = parseReference(match[1] as string);
        if (reference?.scope === 'parent' && reference.kind === 'jobs') found.add(reference.step);
      }
    } else if (Array.isArray(value)) {
      value.forEach(visit);
    } else if (typeof value === 'object' && value !== null) {
      // A pipeline component written inline has its own `jobs`, whose parent is the component.
      for (const [key, inner] of Object.entries(value)) if (key !== 'component') visit(inner);
    }
  };
  visit(raw);
  return [...found];
}

export interface StepOrder {
  /** Steps not in a cycle, producers first. */
  readonly order: readonly string[];
  /** Each step in a cycle, with the cycle it is in (`a → b → a`). */
  readonly cycles: ReadonlyMap<string, readonly string[]>;
}

/** Orders `names` (as written) by `dependsOn` (names outside `names` are ignored). */
export function orderSteps(names: readonly string[], dependsOn: ReadonlyMap<string, readonly string[]>): StepOrder {
  const known = new Set(names);
  const depsOf = (name: string): string[] => (dependsOn.get(name) ?? []).filter((dep) => known.has(dep));
  const placed = new Set<string>();
  const order: string[] = [];
  let progress = true;
  while (progress) {
    progress = false;
    for (const name of names) {
      if (placed.has(name) || !depsOf(name).every((dep) => placed.has(dep))) continue;
      placed.add(name);
      order.push(name);
      progress = true;
      break;
    }
  }
  const cycles = new Map<string, readonly string[]>();
  for (const name of names) {
    if (placed.has(name)) continue;
    cycles.set(name, findCycle(name, depsOf) ?? [name]);
  }
  return { order, cycles };
}

/** A path `start → … → start` through the dependencies, if there is one. */
function findCycle(start: string, depsOf: (name: string) => string[]): string[] | undefined {
  const seen = new Set<string>();
  const walk = (name: string, path: string[]): string[] | undefined => {
    for (const dep of depsOf(name)) {
      if (dep === start) return [...path, dep];
      if (seen.has(dep)) continue;
      seen.add(dep);
      const found = walk(dep, [...path, dep]);
      if (found) return found;
    }
    return undefined;
  };
  return walk(start, [start]);
}
