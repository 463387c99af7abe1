/**
 * The `context` object the entry script receives in init(), run() and shutdown(): one object per
 * worker, whose per-mini-batch fields are updated before each run() (so keeping a reference is safe,
 * and the hot path allocates nothing).
 */
import type { InitMessage, RunMessage } from '../protocol.js';
import type { EntryScriptContext, EntryScriptLogger, JsonValue } from './entry-script-contract.js';

/** The worker's side of {@link EntryScriptContext}: the per-mini-batch fields are its to set. */
export interface RunContext extends EntryScriptContext {
  miniBatchId: number | undefined;
  attempt: number | undefined;
  partitionKeyValue: Readonly<Record<string, JsonValue>> | undefined;
}

/** The context for a worker initialised with `init`. */
export function createRunContext(init: InitMessage, logger: EntryScriptLogger): RunContext {
  return {
    jobId: init.jobId,
    nodeId: init.nodeId,
    processName: init.processName,
    argv: [...init.argv],
    outputDir: init.outputDir,
    logger,
    miniBatchId: undefined,
    attempt: undefined,
    partitionKeyValue: undefined,
  };
}

/** Points the context at the mini-batch about to run. */
export function enterMiniBatch(context: RunContext, message: RunMessage): void {
  context.miniBatchId = message.miniBatchId;
  context.attempt = message.attempt;
  // The message was decoded from a JSON frame, so its key values are JSON values.
  context.partitionKeyValue = message.partitionKeyValue as Readonly<Record<string, JsonValue>> | undefined;
}
