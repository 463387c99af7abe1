/**
 * parajob's package entry point. It exports the TypeScript SDK (src/sdk: build jobs in code, load
 * them from YAML, submit and follow them) and the entry-script contract: the types a JavaScript or
 * TypeScript entry script is written against (src/worker/js/entry-script-contract.ts, where each is
 * documented). An entry script imports types only (`import type`), which loads nothing at run time,
 * or, in TypeScript, `defineEntryScript`, which its compile bundles in place of the package.
 *
 * @example
 * ```ts
 * import type { EntryScriptContext, FileMiniBatch, RunFunction } from 'parajob';
 *
 * export function init(context: EntryScriptContext): void {
 *   context.logger.info(`process ${context.processName} ready`);
 * }
 * export const run: RunFunction<FileMiniBatch> = async (files) => files.map((file) => `${file} ok`);
 * ```
 */
export * from './sdk/index.js';
export { defineEntryScript } from './worker/js/define-entry-script.js';
export type {
  EntryScript,
  EntryScriptContext,
  EntryScriptLogger,
  FileMiniBatch,
  InitFunction,
  JsonValue,
  MiniBatch,
  MiniBatchContext,
  MiniBatchOf,
  RunContext,
  RunFunction,
  RunResult,
  ShutdownFunction,
  TableBatch,
  TableRow,
  TabularMiniBatch,
  TypedEntryScript,
} from './worker/js/entry-script-contract.js';
export type { ByteRangeItem } from './worker/protocol.js';
