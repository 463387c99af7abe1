/**
 * Parsers for the `--chaos "<plan>"` options (commander's `(value) => parsed` shape): the plan is
 * checked here so a typo is a usage error (exit 2) naming the part at fault, and then passed on as
 * written. `parajob run` / `job create` take a job plan (src/chaos/model.ts: run() faults);
 * `parajob node` takes a node plan (src/chaos/node-plan.ts: kill-node, mute-heartbeats); `parajob
 * coordinator` a coordinator plan (src/chaos/coordinator-plan.ts: kill-coordinator).
 */
import { InvalidArgumentError } from 'commander';

import { parseCoordinatorChaosPlan } from '../chaos/coordinator-plan.js';
import { parseChaosPlan } from '../chaos/model.js';
import { parseNodeChaosPlan } from '../chaos/node-plan.js';

/** A commander option parser that checks the text with `parse` and passes it on as written. */
function checkedWith(parse: (text: string) => unknown): (value: string) => string {
  return (value) => {
    try {
      parse(value);
    } catch (error) {
      throw new InvalidArgumentError((error as Error).message);
    }
    return value;
  };
}

/** A job chaos plan, e.g. `hang:mb=3:attempt=1; throw:p=0.05:seed=7`. */
export const parseJobChaosOption = checkedWith(parseChaosPlan);

/** A node chaos plan, e.g. `kill-node:after=40`. */
export const parseNodeChaosOption = checkedWith(parseNodeChaosPlan);

/** A coordinator chaos plan, e.g. `kill-coordinator:after-commits=40`. */
export const parseCoordinatorChaosOption = checkedWith(parseCoordinatorChaosPlan);
