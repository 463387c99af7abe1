/**
 * The package as a user gets it, from the built dist/: `parajob --version` reports package.json's
 * version from the bundled CLI and from the unbundled modules, and an entry script written in
 * TypeScript compiles against `import type { ... } from 'parajob'` (package.json's `exports`, resolved
 * the way a user's project resolves it), while a script that breaks the contract does not.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';

import { assertBuilt, PARAJOB_BIN, REPO_ROOT } from '../helpers/cli-process.js';

const PACKAGE_VERSION = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string })
  .version;
const BUNDLE = join(REPO_ROOT, 'dist', 'parajob.mjs');
const MODULES_MAIN = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');

beforeAll(() => {
  assertBuilt();
});

describe('parajob --version', () => {
  it('the launcher (which runs the bundle) prints the version of package.json', () => {
    expect(existsSync(BUNDLE), 'dist/parajob.mjs is missing: run npm run build').toBe(true);
    const result = spawnSync(process.execPath, [PARAJOB_BIN, '--version'], { encoding: 'utf8', timeout: 30_000 });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout.trim()).toBe(PACKAGE_VERSION);
  });

  it.each([
    ['the bundle', BUNDLE],
    ['the unbundled modules', MODULES_MAIN],
  ])('%s prints the version of package.json', (_label, cliMain) => {
    const script = `const { main } = await import(${JSON.stringify(pathToFileURL(cliMain).href)});
process.exitCode = await main(['node', 'parajob', '--version']);`;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout.trim()).toBe(PACKAGE_VERSION);
  });
});

/**
 * Type-checks `sources` as TypeScript entry scripts sitting in the repository (so that `'parajob'`
 * resolves through package.json's `exports` to dist/, as from a user's project that installed it), all
 * in one program: each is a module of its own, and one program reads lib, @types/node and parajob's
 * declarations once instead of once per script (a compiler start is seconds on a loaded machine).
 * Returns each script's diagnostics' messages, with any diagnostic outside the scripts (global, or in
 * another file) given to every script, so that none of them can hide.
 */
function typeCheckEntryScripts(sources: readonly string[]): string[][] {
  const files = sources.map((_source, index) =>
    join(REPO_ROOT, 'test', 'integration', `entry-script-under-test-${index}.ts`),
  );
  const sourceOf = new Map(files.map((file, index) => [file, sources[index] as string]));
  const options: ts.CompilerOptions = {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2023.d.ts'],
    types: ['node'],
    strict: true,
    noEmit: true,
    skipLibCheck: true,
  };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (name) => sourceOf.has(name) || fileExists.call(host, name);
  host.readFile = (name) => sourceOf.get(name) ?? readFile.call(host, name);
  host.getSourceFile = (name, language, ...rest) => {
    const source = sourceOf.get(name);
    return source === undefined
      ? getSourceFile.call(host, name, language, ...rest)
      : ts.createSourceFile(name, source, language);
  };
  const program = ts.createProgram(files, options, host);
  const diagnostics = ts.getPreEmitDiagnostics(program);
  const message = (diagnostic: ts.Diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
  const elsewhere = diagnostics.filter((diagnostic) => !sourceOf.has(diagnostic.file?.fileName ?? '')).map(message);
  return files.map((file) => [
    ...diagnostics.filter((diagnostic) => diagnostic.file?.fileName === file).map(message),
    ...elsewhere,
  ]);
}

const FILE_SCRIPT = `
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { EntryScript, EntryScriptContext, FileMiniBatch } from 'parajob';

let algorithm = 'sha256';

export function init(context: EntryScriptContext): void {
  const at = context.argv.indexOf('--algorithm');
  if (at >= 0) algorithm = context.argv[at + 1] ?? algorithm;
  context.logger.info(\`\${context.processName} on \${context.nodeId} hashes with \${algorithm}\`);
}

export async function run(miniBatch: FileMiniBatch, context: EntryScriptContext): Promise<string[]> {
  const rows: string[] = [];
  for (const file of miniBatch) rows.push(\`\${file} \${createHash(algorithm).update(await readFile(file)).digest('hex')}\`);
  context.logger.debug(\`mini-batch \${context.miniBatchId ?? '?'} attempt \${context.attempt ?? '?'}\`);
  return rows;
}

export async function shutdown(context: EntryScriptContext): Promise<void> {
  context.logger.info(\`done; outputs in \${context.outputDir}\`);
}

export const script: EntryScript<FileMiniBatch> = { init, run, shutdown };
`;

const TABULAR_SCRIPT = `
import type { JsonValue, RunFunction, TabularMiniBatch } from 'parajob';

export const run: RunFunction<TabularMiniBatch> = (rows, context) => {
  const store: JsonValue | undefined = context.partitionKeyValue?.['Store'];
  const first = rows.source[0];
  const where = first === undefined ? '' : \`\${first.path}[\${first.start}, \${first.end})\`;
  return rows.map((row) => [store ?? null, rows.columns.length, row['amount'] ?? null, where]);
};
`;

const EITHER_INPUT_SCRIPT = `
import type { MiniBatch, RunResult } from 'parajob';

export function run(miniBatch: MiniBatch): RunResult {
  if ('columns' in miniBatch) return miniBatch.map((row) => Object.keys(row).length);
  return miniBatch.map((path) => path.length);
}
`;

const COMPILING: readonly (readonly [string, string])[] = [
  ['a file-list script (init, run, shutdown)', FILE_SCRIPT],
  ['a tabular script (rows, columns, source, partition keys)', TABULAR_SCRIPT],
  ['a script for either input, told apart by `columns`', EITHER_INPUT_SCRIPT],
];

const NOT_COMPILING: readonly (readonly [string, string, RegExp])[] = [
  [
    'run() returning a number, not an array',
    `import type { RunFunction } from 'parajob';\nexport const run: RunFunction = () => 3;`,
    /not assignable to type 'RunResult \| Promise<RunResult>'/,
  ],
  [
    'using miniBatchId as if it were always set (it is undefined outside run)',
    `import type { EntryScriptContext } from 'parajob';\nexport function init(c: EntryScriptContext) { return c.miniBatchId + 1; }`,
    /possibly 'undefined'/,
  ],
  [
    'writing to the context',
    `import type { EntryScriptContext } from 'parajob';\nexport function init(c: EntryScriptContext) { c.jobId = 'x'; }`,
    /read-only property/,
  ],
  [
    'a file list read as rows',
    `import type { RunFunction, FileMiniBatch } from 'parajob';\nexport const run: RunFunction<FileMiniBatch> = (b) => b.columns;`,
    /Property 'columns' does not exist/,
  ],
];

describe("an entry script typed with `import type { ... } from 'parajob'`", () => {
  let diagnostics: string[][];
  beforeAll(() => {
    diagnostics = typeCheckEntryScripts([...COMPILING, ...NOT_COMPILING].map(([, source]) => source));
  });

  it.each(COMPILING.map(([label], index) => [label, index] as const))('compiles: %s', (_label, index) => {
    expect(diagnostics[index]).toEqual([]);
  });

  it.each(NOT_COMPILING.map(([label, , expected], index) => [label, COMPILING.length + index, expected] as const))(
    'does not compile: %s',
    (_label, index, expected) => {
      expect((diagnostics[index] ?? []).join('\n')).toMatch(expected);
    },
  );
});
