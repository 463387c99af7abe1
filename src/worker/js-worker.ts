/**
 * The JS worker: a child process of a node's processor that loads the user's entry script and runs
 * it over mini-batches, speaking the frame protocol of ./protocol.ts (requests on file descriptor 3, replies on 4).
 *
 * init  → set process.argv, import the script, call its init(context) → `ready` | `initFailed`
 * run   → `await run(miniBatch, context)` → `result` (counts, append_row lines, or the error);
 *         an injected fault (src/chaos) is acted out around the call
 * shutdown → its shutdown(context) → `shutdownDone` → exit. EOF on fd 3 → exit.
 *
 * It imports only the protocol and ./js/*: nothing of the node is loaded into the user's process.
 */
import { HostChannel } from './js/channel.js';
import { loadEntryScript } from './js/entry-script.js';
import type { EntryScript, MiniBatch } from './js/entry-script-contract.js';
import { applyFaultToReturn, injectBeforeRun } from './js/fault.js';
import { loadMiniBatch } from './js/mini-batch.js';
import { formatRows, formatTabularRows } from './js/rows.js';
import { createRunContext, enterMiniBatch, type RunContext } from './js/run-context.js';
import { makeLiveFolders, openStage, sealStage } from './js/stage.js';
import { AppendFile, createEntryScriptLogger, errorLogPathFor } from './js/user-log.js';
import { toWireError } from './js/wire-error.js';
import type { HostMessage, InitMessage, ResultMessage, RunMessage, WorkerMessage } from './protocol.js';

interface Loaded {
  readonly script: EntryScript;
  readonly context: RunContext;
  readonly appendRow: boolean;
  /** The init frame's tabular settings: what a tabular run's byte ranges are read with. */
  readonly tabularReader: unknown;
  readonly errorLog: AppendFile;
  readonly userLog: AppendFile;
}

let loaded: Loaded | undefined;

const channel = new HostChannel({
  onMessage: handle,
  onEnd: () => exit(0),
});

async function handle(message: HostMessage): Promise<void> {
  switch (message.type) {
    case 'init':
      return initialise(message);
    case 'run':
      // The result is with the host before the next run starts (see HostChannel.send).
      return channel.send(await runStaged(message));
    case 'shutdown':
      return shutdown();
  }
}

async function initialise(message: InitMessage): Promise<void> {
  // The script parses its arguments from process.argv, as a Python script would from sys.argv.
  process.argv = [process.execPath, message.entryScript, ...message.argv];
  await makeLiveFolders(message.stageLive);
  const outcome = await loadEntryScript(message.entryScript);
  if (!outcome.ok) {
    void channel.send({ type: 'initFailed', error: outcome.error, invalidEntryScript: outcome.invalidEntryScript });
    return;
  }
  const userLog = new AppendFile(message.userLogFile);
  const context = createRunContext(
    message,
    createEntryScriptLogger(userLog, message.processName, message.loggingLevel),
  );
  try {
    await outcome.module.init?.(context);
  } catch (thrown) {
    void channel.send({ type: 'initFailed', error: toWireError(thrown), invalidEntryScript: false });
    return;
  }
  loaded = {
    script: outcome.module,
    context,
    appendRow: message.appendRow,
    tabularReader: message.tabularReader,
    userLog,
    errorLog: new AppendFile(errorLogPathFor(message.userLogFile)),
  };
  void channel.send({ type: 'ready', pid: process.pid });
}

/** runMiniBatch between emptying the staged outputs' live folders and handing them to the attempt (js/stage.ts). */
async function runStaged(message: RunMessage): Promise<ResultMessage> {
  if (message.stage === undefined) return runMiniBatch(message);
  const openError = await openStage(message.stage);
  if (openError !== undefined) {
    const { miniBatchId, attempt } = message;
    const unrun = { total: 0, returned: 0, succeeded: 0, rows: '', rowCount: 0, runMs: 0 };
    return { type: 'result', miniBatchId, attempt, ...unrun, error: openError };
  }
  const result = await runMiniBatch(message);
  const stageError = await sealStage(message.stage);
  return stageError === undefined || result.error !== undefined ? result : { ...result, error: stageError };
}

async function runMiniBatch(message: RunMessage): Promise<ResultMessage> {
  const failed = { type: 'result', miniBatchId: message.miniBatchId, attempt: message.attempt, total: 0 } as const;
  const unrun = { ...failed, returned: 0, succeeded: 0, rows: '', rowCount: 0, runMs: 0 };
  if (loaded === undefined)
    return { ...unrun, error: { kind: 'ProtocolError', message: 'run before a successful init' } };
  let items: MiniBatch;
  let total: number;
  try {
    ({ items, total } = await loadMiniBatch(message, loaded.tabularReader));
  } catch (thrown) {
    // Bad data fails this mini-batch with the reader's InputError, which names the file and bytes.
    const { kind, message: text } = toWireError(thrown);
    return { ...unrun, error: { kind, message: text } };
  }
  const base = { ...failed, total } as const;
  enterMiniBatch(loaded.context, message);
  const started = performance.now();
  let returnedValue: unknown;
  try {
    if (message.fault !== undefined) await injectBeforeRun(message.fault);
    returnedValue = applyFaultToReturn(message.fault, await loaded.script.run(items, loaded.context));
  } catch (thrown) {
    const error = toWireError(thrown);
    recordError(loaded, message, error.stack ?? `${error.kind}: ${error.message}`);
    return { ...base, returned: 0, succeeded: 0, rows: '', rowCount: 0, runMs: elapsedSince(started), error };
  }
  const runMs = elapsedSince(started);
  if (!Array.isArray(returnedValue)) {
    const error = { kind: 'TypeError', message: `run() must return an array, got ${describeType(returnedValue)}` };
    recordError(loaded, message, `${error.kind}: ${error.message}`);
    return { ...base, returned: 0, succeeded: 0, rows: '', rowCount: 0, runMs, error };
  }
  const returned = returnedValue.length;
  // Tabular mini-batches write rows the way Azure writes a returned DataFrame (rows.ts).
  const format = message.table === undefined && message.ranges === undefined ? formatRows : formatTabularRows;
  const rows = loaded.appendRow ? format(returnedValue) : '';
  return {
    ...base,
    returned,
    succeeded: Math.min(returned, total),
    rows,
    rowCount: loaded.appendRow ? returned : 0,
    runMs,
  };
}

async function shutdown(): Promise<void> {
  let reply: WorkerMessage = { type: 'shutdownDone' };
  if (loaded !== undefined) {
    loaded.context.miniBatchId = undefined;
    loaded.context.attempt = undefined;
    loaded.context.partitionKeyValue = undefined;
    try {
      await loaded.script.shutdown?.(loaded.context);
    } catch (thrown) {
      reply = { type: 'shutdownDone', error: toWireError(thrown) };
    }
  }
  channel.sendLast(reply, () => exit(0));
}

/** Appends a failed run's stack to logs/user/error/<node>/<process>.txt; logging must not fail the run. */
function recordError(state: Loaded, message: RunMessage, text: string): void {
  try {
    state.errorLog.append(
      `${new Date().toISOString()}|${state.context.processName}|mini-batch ${message.miniBatchId} attempt ${message.attempt}\n${text}\n`,
    );
  } catch {
    // The error still travels to the coordinator in the result.
  }
}

function exit(code: number): void {
  loaded?.userLog.close();
  loaded?.errorLog.close();
  // The user's script may hold timers or sockets open; the worker's life ends here regardless.
  process.exit(code);
}

/** Milliseconds to the microsecond: the node tunes its pipelining on it (and rounds it for the wire). */
function elapsedSince(started: number): number {
  return Math.round((performance.now() - started) * 1000) / 1000;
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object';
  return typeof value;
}
