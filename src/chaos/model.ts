/**
 * Fault injection: a deterministic plan of faults that a user (rehearsing thresholds before
 * production) or a test (proving nothing is lost or duplicated) attaches to a job or a node.
 *
 * Text form, faults separated by `;`, each `<action>` then `:key=value` selectors:
 *   hang:mb=3:attempt=1        run() of mini-batch 3, first attempt, never returns (the timeout kills it)
 *   throw:p=0.05:seed=7        5% of attempts (chosen by a seeded hash, so reruns repeat) throw
 *   fewer:mb=5:drop=2          run() of mini-batch 5 returns 2 items fewer than it was given
 *   crash:mb=2-4:attempt=1-9   the worker process dies (SIGKILL) inside run()
 *   hang-load:mb=1:attempt=1   the node never finishes loading the mini-batch, so run() is never
 *                              called: --task_overhead_timeout fails the attempt (node-side, no worker)
 * `mb` and `attempt` take a number, a range `a-b`, or a list `1|4|9`; `p` a probability in [0, 1].
 * The JSON form is `{"faults": [{"action": "hang", "mb": "3", "attempt": "1"}]}`.
 * Faults of the node process itself (kill-node, mute-heartbeats) are a separate plan: node-plan.ts.
 */
import { ParajobError } from '../errors.js';

/** What a worker does instead of (or to) the normal run() for one attempt. */
export type RunFault =
  | { readonly action: 'hang' }
  | { readonly action: 'throw'; readonly message: string }
  | { readonly action: 'fewer'; readonly drop: number }
  | { readonly action: 'crash' };

export type RunFaultAction = RunFault['action'];

/** What the node does instead of loading a mini-batch for one attempt (before run() is called). */
export interface LoadFault {
  readonly action: 'hang-load';
}

/** Every action of a job's chaos plan. */
export type ChaosAction = RunFaultAction | LoadFault['action'];

interface Selector {
  readonly miniBatches: NumberSet | undefined;
  readonly attempts: NumberSet | undefined;
  readonly probability: number;
  readonly seed: number;
}

export interface ChaosFault {
  readonly fault: RunFault | LoadFault;
  readonly selector: Selector;
  /** The fault as written, for logs. */
  readonly text: string;
}

export interface ChaosPlan {
  readonly faults: readonly ChaosFault[];
}

type NumberSet = (n: number) => boolean;

const ACTIONS: readonly ChaosAction[] = ['hang', 'throw', 'fewer', 'crash', 'hang-load'];

/** Thrown for a chaos text that does not parse; says which part and what is expected. */
export class ChaosSyntaxError extends ParajobError {
  override readonly name = 'ChaosSyntaxError';
}

/** Parses the text (or JSON) form. An empty string is the empty plan. */
export function parseChaosPlan(text: string): ChaosPlan {
  const trimmed = text.trim();
  if (trimmed === '') return { faults: [] };
  if (trimmed.startsWith('{')) return parseJsonPlan(trimmed);
  return {
    faults: trimmed
      .split(';')
      .map((part) => part.trim())
      .filter(Boolean)
      .map(parseFault),
  };
}

function parseJsonPlan(text: string): ChaosPlan {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ChaosSyntaxError(`chaos: invalid JSON: ${(error as Error).message}`);
  }
  const faults = (value as { faults?: unknown }).faults;
  if (!Array.isArray(faults)) throw new ChaosSyntaxError('chaos: JSON form needs {"faults": [...]}');
  return {
    faults: faults.map((fault: Record<string, unknown>) => {
      const { action, ...rest } = fault;
      const words = [String(action), ...Object.entries(rest).map(([k, v]) => `${k}=${String(v)}`)];
      return parseFault(words.join(':'));
    }),
  };
}

function parseFault(text: string): ChaosFault {
  const [action = '', ...pairs] = text.split(':').map((word) => word.trim());
  if (!ACTIONS.includes(action as ChaosAction)) {
    throw new ChaosSyntaxError(`chaos: unknown fault "${action}" in "${text}"; expected one of ${ACTIONS.join(', ')}`);
  }
  const options = new Map<string, string>();
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new ChaosSyntaxError(`chaos: expected key=value, got "${pair}" in "${text}"`);
    options.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  const take = (key: string): string | undefined => {
    const value = options.get(key);
    options.delete(key);
    return value;
  };
  const probabilityText = take('p');
  const probability = probabilityText === undefined ? 1 : Number(probabilityText);
  if (!(probability >= 0 && probability <= 1)) throw new ChaosSyntaxError(`chaos: p must be in [0, 1] in "${text}"`);
  const selector: Selector = {
    miniBatches: parseNumberSet(take('mb'), text),
    attempts: parseNumberSet(take('attempt'), text),
    probability,
    seed: Number(take('seed') ?? 0) | 0,
  };
  let fault: RunFault | LoadFault;
  if (action === 'throw') fault = { action, message: take('message') ?? 'chaos: injected exception' };
  else if (action === 'fewer') {
    const drop = Number(take('drop') ?? 1);
    if (!Number.isInteger(drop) || drop < 1)
      throw new ChaosSyntaxError(`chaos: drop must be a positive integer in "${text}"`);
    fault = { action, drop };
  } else fault = { action } as RunFault | LoadFault;
  if (options.size > 0) {
    throw new ChaosSyntaxError(`chaos: unknown option(s) ${[...options.keys()].join(', ')} in "${text}"`);
  }
  return { fault, selector, text };
}

function parseNumberSet(text: string | undefined, context: string): NumberSet | undefined {
  if (text === undefined) return undefined;
  const parts = text.split('|').map((part) => {
    const range = /^(\d+)-(\d+)$/.exec(part);
    if (range) {
      const low = Number(range[1]);
      const high = Number(range[2]);
      return (n: number) => n >= low && n <= high;
    }
    if (!/^\d+$/.test(part))
      throw new ChaosSyntaxError(`chaos: expected a number, a-b or a|b, got "${text}" in "${context}"`);
    const value = Number(part);
    return (n: number) => n === value;
  });
  return (n) => parts.some((matches) => matches(n));
}

/**
 * The run() fault (if any) for one attempt: the first run fault whose selector matches (load faults
 * are skipped: see loadFaultFor). Pure and repeatable.
 */
export function faultFor(plan: ChaosPlan, miniBatchId: number, attempt: number): RunFault | undefined {
  for (const { fault, selector } of plan.faults) {
    if (fault.action !== 'hang-load' && matches(selector, miniBatchId, attempt)) return fault;
  }
  return undefined;
}

/** The load fault (if any) for one attempt: the first `hang-load` whose selector matches. */
export function loadFaultFor(plan: ChaosPlan, miniBatchId: number, attempt: number): LoadFault | undefined {
  for (const { fault, selector } of plan.faults) {
    if (fault.action === 'hang-load' && matches(selector, miniBatchId, attempt)) return fault;
  }
  return undefined;
}

function matches(selector: Selector, miniBatchId: number, attempt: number): boolean {
  if (selector.miniBatches && !selector.miniBatches(miniBatchId)) return false;
  if (selector.attempts && !selector.attempts(attempt)) return false;
  return selector.probability >= 1 || unitHash(selector.seed, miniBatchId, attempt) < selector.probability;
}

/** A deterministic number in [0, 1) from (seed, mini-batch, attempt): a 32-bit integer mix. */
function unitHash(seed: number, miniBatchId: number, attempt: number): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (const value of [miniBatchId, attempt]) {
    h = Math.imul(h ^ value, 0x85ebca6b) >>> 0;
    h = (h ^ (h >>> 13)) >>> 0;
    h = Math.imul(h, 0xc2b2ae35) >>> 0;
    h = (h ^ (h >>> 16)) >>> 0;
  }
  return h / 0x100000000;
}
