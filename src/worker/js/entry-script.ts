/**
 * Loads the user's entry script (an ES module, CommonJS through Node's interop, or TypeScript compiled
 * by typescript-entry.ts) and sorts load
 * failures into "retrying cannot help" (missing file, syntax error, no `run` export) and the rest.
 */
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

import type { WireError } from '../protocol.js';
import type { EntryScript } from './entry-script-contract.js';
import { compileTypeScriptEntry, isTypeScriptEntry, TypeScriptCompileError } from './typescript-entry.js';
import { toWireError } from './wire-error.js';

/** The outcome of loading: the module, or why it cannot be used. */
export type LoadOutcome =
  | { readonly ok: true; readonly module: EntryScript }
  | { readonly ok: false; readonly error: WireError; readonly invalidEntryScript: boolean };

/** Imports `entryScript` (absolute path) and checks its exports. Never throws. */
export async function loadEntryScript(entryScript: string): Promise<LoadOutcome> {
  if (!existsSync(entryScript)) {
    return invalid(
      'EntryScriptNotFound',
      `entry script ${entryScript} does not exist; check task.code and task.entry_script`,
    );
  }
  let namespace: Record<string, unknown>;
  try {
    let module = entryScript;
    if (isTypeScriptEntry(entryScript)) {
      // Stack traces through the inline source map name the user's .ts lines.
      process.setSourceMapsEnabled(true);
      module = await compileTypeScriptEntry(entryScript);
    }
    namespace = (await import(pathToFileURL(module).href)) as Record<string, unknown>;
  } catch (thrown) {
    if (thrown instanceof TypeScriptCompileError) return invalid('EntryScriptSyntaxError', thrown.message);
    // A syntax error never fixes itself; anything else thrown while loading (a top-level throw, a
    // flaky dependency) is an init failure that a fresh worker may get past.
    return { ok: false, error: toWireError(thrown), invalidEntryScript: thrown instanceof SyntaxError };
  }
  const exports = pickExports(namespace);
  if (typeof exports.run !== 'function') {
    return invalid(
      'EntryScriptError',
      `entry script ${entryScript} has no run() export; expected \`export function run(miniBatch, context)\` returning an array`,
    );
  }
  for (const name of ['init', 'shutdown'] as const) {
    if (exports[name] !== undefined && typeof exports[name] !== 'function') {
      return invalid(
        'EntryScriptError',
        `entry script ${entryScript} exports ${name} as a ${typeof exports[name]}; expected a function`,
      );
    }
  }
  // Checked above: `run` is a function, `init` and `shutdown` are functions or absent. What they
  // return is not trusted: the worker checks run()'s value at every call.
  return { ok: true, module: exports as Partial<EntryScript> as EntryScript };
}

/** Named exports, or those of a CommonJS `module.exports` object seen as the default export. */
function pickExports(namespace: Record<string, unknown>): Record<string, unknown> {
  if (typeof namespace['run'] === 'function') return namespace;
  const fallback = namespace['default'];
  if (
    fallback !== null &&
    typeof fallback === 'object' &&
    typeof (fallback as Record<string, unknown>)['run'] === 'function'
  ) {
    return fallback as Record<string, unknown>;
  }
  return namespace;
}

function invalid(kind: string, message: string): LoadOutcome {
  return { ok: false, error: { kind, message }, invalidEntryScript: true };
}
