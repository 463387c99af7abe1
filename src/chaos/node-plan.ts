/**
 * Faults of a node process itself, for `parajob node --chaos "<plan>"`: a user rehearses losing a
 * machine (or a network that stops carrying heartbeats) and sees the coordinator re-queue its work; a
 * test does the same on cue. Text form, faults separated by `;`:
 *   kill-node:after=40                 the node SIGKILLs itself right after writing its 40th result
 *                                      to the stream (counted over all its jobs)
 *   mute-heartbeats:after=10:for=3000  once 10 results are written, the node sends no heartbeat for
 *                                      3000 ms (its other messages still flow); a node with nothing
 *                                      else to say then goes silent and the coordinator deems it lost
 *   kill-mid-upload:after=0            the node SIGKILLs itself inside an output upload (Inputs.WriteOutput)
 *                                      once its first file chunk is written, in the upload after the
 *                                      first `after` uploads finished
 * `after` counts results written (≥ 1 for kill-node; 0 allowed for mute-heartbeats: from the start).
 * The faults of a job's run() calls are another plan (model.ts), given with the job.
 */
import { ChaosSyntaxError } from './model.js';

/** One node fault. Counts are results written to the coordinator stream; durations in milliseconds. */
export type NodeFault =
  | { readonly action: 'kill-node'; readonly afterResults: number; readonly text: string }
  | { readonly action: 'kill-mid-upload'; readonly afterUploads: number; readonly text: string }
  | {
      readonly action: 'mute-heartbeats';
      readonly afterResults: number;
      readonly forMs: number;
      readonly text: string;
    };

export interface NodeChaosPlan {
  readonly faults: readonly NodeFault[];
}

const NODE_ACTIONS = ['kill-node', 'mute-heartbeats', 'kill-mid-upload'] as const;

/** Parses the text form; the empty string is the empty plan. Throws ChaosSyntaxError naming the part at fault. */
export function parseNodeChaosPlan(text: string): NodeChaosPlan {
  const parts = text
    .split(';')
    .map((part) => part.trim())
    .filter(Boolean);
  return { faults: parts.map(parseNodeFault) };
}

function parseNodeFault(text: string): NodeFault {
  const [action = '', ...pairs] = text.split(':').map((word) => word.trim());
  if (!(NODE_ACTIONS as readonly string[]).includes(action)) {
    throw new ChaosSyntaxError(
      `node chaos: unknown fault "${action}" in "${text}"; expected one of ${NODE_ACTIONS.join(', ')}`,
    );
  }
  const options = new Map<string, string>();
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new ChaosSyntaxError(`node chaos: expected key=value, got "${pair}" in "${text}"`);
    options.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  const wholeNumber = (key: string, min: number): number => {
    const value = options.get(key);
    options.delete(key);
    if (value === undefined) throw new ChaosSyntaxError(`node chaos: "${text}" needs ${key}=<n>`);
    if (!/^\d+$/.test(value) || Number(value) < min) {
      throw new ChaosSyntaxError(`node chaos: ${key} must be a whole number of at least ${min} in "${text}"`);
    }
    return Number(value);
  };
  const fault: NodeFault =
    action === 'kill-node'
      ? { action, afterResults: wholeNumber('after', 1), text }
      : action === 'kill-mid-upload'
        ? { action, afterUploads: wholeNumber('after', 0), text }
        : { action: 'mute-heartbeats', afterResults: wholeNumber('after', 0), forMs: wholeNumber('for', 1), text };
  if (options.size > 0)
    throw new ChaosSyntaxError(`node chaos: unknown option(s) ${[...options.keys()].join(', ')} in "${text}"`);
  return fault;
}
