/**
 * Injected faults (src/chaos, `RunMessage.fault`): the worker acts out a failure where run() would
 * be called, so thresholds, retries and timeouts can be rehearsed with the real machinery.
 */
import type { RunMessage } from '../protocol.js';

type RunFault = NonNullable<RunMessage['fault']>;

/** Acts out `hang` (never settles), `throw` (rejects with the fault's message) or `crash` (SIGKILL to itself). */
export async function injectBeforeRun(fault: RunFault): Promise<void> {
  switch (fault.action) {
    case 'hang':
      // Only the host's timeout (SIGKILL) ends this; the interval keeps the event loop alive.
      await new Promise<never>(() => setInterval(() => undefined, 60_000));
      return;
    case 'throw':
      throw new Error(fault.message || 'chaos: injected exception');
    case 'crash':
      process.kill(process.pid, 'SIGKILL');
      await new Promise<never>(() => setInterval(() => undefined, 60_000));
      return;
    case 'fewer':
      return;
  }
}

/** `fewer`: run()'s returned array without its last `drop` items; anything else as it was. */
export function applyFaultToReturn(fault: RunFault | undefined, returned: unknown): unknown {
  if (fault?.action !== 'fewer' || !Array.isArray(returned)) return returned;
  return returned.slice(0, Math.max(0, returned.length - fault.drop));
}
