/**
 * TypeScript entry scripts (`entry_script: score.ts`, `.mts`, `.cts`): bundled once by esbuild into
 * an ES module beside the script (`.score.ts.parajob.mjs`, relative imports of other `.ts` files
 * included, packages left to Node), with an inline source map, so a stack trace names the user's
 * `.ts` file and line. Types are not checked at run time (that is `tsc`'s job before submitting).
 *
 * Nodes run code from their content-addressed snapshot cache, so the first worker of a job on a node
 * compiles and the others find the result; a result older than its script is compiled again.
 */
import { existsSync } from 'node:fs';
import { rename, stat } from 'node:fs/promises';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import type { Plugin } from 'esbuild';

import { compiledPathOf, compileTempPathOf } from '../../code/compiled-entry.js';

/** Extensions compiled as TypeScript. */
const TYPESCRIPT_EXTENSIONS = new Set(['.ts', '.mts', '.cts']);

/** True for an entry script that must be compiled before Node can import it. */
export function isTypeScriptEntry(entryScript: string): boolean {
  return TYPESCRIPT_EXTENSIONS.has(extname(entryScript).toLowerCase());
}

/** A TypeScript entry script that does not compile: file, line and column of each problem. */
export class TypeScriptCompileError extends SyntaxError {
  override readonly name = 'TypeScriptCompileError';
}

async function mtimeMs(path: string): Promise<number | undefined> {
  return (await stat(path).catch(() => undefined))?.mtimeMs;
}

/**
 * The module bundled for `import ... from 'parajob'`: a code snapshot has no node_modules, so the
 * package cannot be resolved from it; the only value a script imports from it is
 * `defineEntryScript` (types are erased). Built next to this file (`.js` in dist, `.ts` under vitest).
 */
function definePath(): string {
  const built = fileURLToPath(new URL('./define-entry-script.js', import.meta.url));
  return existsSync(built) ? built : built.replace(/\.js$/, '.ts');
}

const parajobPackage: Plugin = {
  name: 'parajob-package',
  setup(build) {
    build.onResolve({ filter: /^parajob$/ }, () => ({ path: definePath() }));
  },
};

/** esbuild's located messages as `file:line:col: text` lines. */
function describeFailure(error: unknown, entryScript: string): string {
  const errors = (error as { errors?: { text: string; location?: { file: string; line: number; column: number } }[] })
    .errors;
  if (!errors?.length) return `${entryScript}: ${(error as Error).message}`;
  return errors
    .map(({ text, location }) =>
      location ? `${join(dirname(entryScript), location.file)}:${location.line}:${location.column + 1}: ${text}` : text,
    )
    .join('\n');
}

/**
 * The path of an importable ES module for the TypeScript `entryScript` (absolute), compiling it
 * when there is no up-to-date result. Throws a TypeScriptCompileError naming file and line.
 */
export async function compileTypeScriptEntry(entryScript: string): Promise<string> {
  const output = compiledPathOf(entryScript);
  const [sourceTime, outputTime] = await Promise.all([mtimeMs(entryScript), mtimeMs(output)]);
  if (outputTime !== undefined && sourceTime !== undefined && outputTime >= sourceTime) return output;
  // Loaded only for TypeScript scripts: JavaScript and Python jobs never pay for it.
  const esbuild = await import('esbuild');
  const temp = compileTempPathOf(output, process.pid);
  try {
    await esbuild.build({
      entryPoints: [entryScript],
      absWorkingDir: dirname(entryScript),
      outfile: temp,
      bundle: true,
      packages: 'external',
      platform: 'node',
      format: 'esm',
      target: 'node20',
      sourcemap: 'inline',
      logLevel: 'silent',
      plugins: [parajobPackage],
    });
  } catch (error) {
    throw new TypeScriptCompileError(describeFailure(error, entryScript));
  }
  // Atomic: a worker racing this one sees either no result or a whole one.
  await rename(temp, output);
  return output;
}
