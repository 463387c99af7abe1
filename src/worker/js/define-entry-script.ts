/**
 * `defineEntryScript`, the one value an entry script imports from 'parajob'. At run time it is the
 * identity: its work is done by the compiler, which checks `init`, `run` and `shutdown` against the
 * contract for the script's item and row types. Kept free of imports (types aside) because a
 * TypeScript entry script's compile bundles this module in place of the 'parajob' package, which a
 * node's code snapshot cannot resolve (typescript-entry.ts).
 */
import type { TableRow, TypedEntryScript } from './entry-script-contract.js';

/**
 * Types an entry script: `Item` is what one mini-batch holds (`string` paths for a file input,
 * {@link TableRow} for a table), `Row` what `run` returns per item. Export the result as the module's
 * default export (`export default defineEntryScript<string, string>({ run: (files) => ... })`).
 *
 * @example
 * ```ts
 * import { defineEntryScript } from 'parajob';
 *
 * export default defineEntryScript<string, string>({
 *   init: (context) => context.logger.info('ready'),
 *   run: (files) => files.map((file) => `${file} ok`),
 * });
 * ```
 */
export function defineEntryScript<Item extends string | TableRow = string | TableRow, Row = unknown>(
  script: TypedEntryScript<Item, Row>,
): TypedEntryScript<Item, Row> {
  return script;
}
