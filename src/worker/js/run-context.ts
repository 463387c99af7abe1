/**
 * The `context` object the entry script receives in init(), run() and shutdown(): one object per
 * worker, whose per-mini-batch fields are updated before each run() (so keeping a reference is safe,
 * and the hot path allocates nothing).
 */
import type { InitMessage, RunMessage } from '../protocol.js';
import type { EntryScriptLogger } from './user-log.js';

/** What the entry script sees. `miniBatchId` and `attempt` are undefined outside run(). */
export interface RunContext {
  readonly jobId: string;
  readonly nodeId: string;
  /** `process000`, ...: stable across restarts of this processor (Azure's agent name). */
  readonly processName: string;
  /** The script's arguments after its name (system arguments, then the user's program arguments). */
  readonly argv: readonly string[];
  /** The output folder (append_row_to, or the step's outputs); also in $AZUREML_BI_OUTPUT_PATH. */
  readonly outputDir: string;
  /** Writes to logs/user/entry_script_log/<node>/<process>.log.txt. */
  readonly logger: EntryScriptLogger;
  miniBatchId: number | undefined;
  /** 1 for the first attempt of a mini-batch. */
  attempt: number | undefined;
  /** partition_keys: this mini-batch's key values; undefined otherwise. */
  partitionKeyValue: Readonly<Record<string, unknown>> | undefined;
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
  context.partitionKeyValue = message.partitionKeyValue;
}
