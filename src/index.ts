/**
 * parajob's package entry point (`import type { ... } from 'parajob'`). Until the TypeScript SDK
 * (submit, watch, show, cancel from code) lands here, it exports the entry-script contract: the types
 * a JavaScript or TypeScript entry script is written against (src/worker/js/entry-script-contract.ts,
 * where each is documented). Types only: importing them loads nothing at run time.
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
export type {
  EntryScript,
  EntryScriptContext,
  EntryScriptLogger,
  FileMiniBatch,
  InitFunction,
  JsonValue,
  MiniBatch,
  RunFunction,
  RunResult,
  ShutdownFunction,
  TableRow,
  TabularMiniBatch,
} from './worker/js/entry-script-contract.js';
export type { ByteRangeItem } from './worker/protocol.js';
