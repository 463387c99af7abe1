/**
 * The API report: the declarations of the package entry point and the SDK, as tsconfig.types.json
 * emits them, compared with the committed api/parajob.d.ts. A change to the public surface shows in
 * review as a change to that file (update it with `npm run build`, then
 * `npx vitest run test/unit/sdk/api-surface.test.ts -u`).
 * And every export of the entry point has its TSDoc (wherever it is declared, src/gen included: the
 * proto's comments are the wire types' docs).
 *
 * The declarations are read from dist/, where `npm run build` (the first step of `npm test`) emits
 * them with `tsc -p tsconfig.types.json`: emitting them again here would type-check the whole public
 * graph a second time (tens of seconds on a loaded machine). The doc check needs only the program's
 * symbols, not its emit.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';

import { buildProblem, REPO_ROOT } from '../../helpers/cli-process.js';

const DIST = join(REPO_ROOT, 'dist');

/** The program tsconfig.types.json describes: src/index.ts and what it imports. */
function publicProgram(): ts.Program {
  const config = ts.getParsedCommandLineOfConfigFile(
    resolve('tsconfig.types.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
        throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
      },
    },
  );
  if (!config) throw new Error('cannot read tsconfig.types.json');
  return ts.createProgram(config.fileNames, config.options);
}

/**
 * The public declarations, file by file in a stable order, paths relative to the repository. Only
 * the declarations the last build wrote (newer than its JavaScript, which tsc writes first) whose source
 * still exists: a file left from an older build is not part of the surface.
 */
function publicDeclarations(): string {
  const problem = buildProblem(
    [join(DIST, 'src', 'index.d.ts'), join(DIST, 'src', 'index.js')],
    join(REPO_ROOT, 'src'),
  );
  if (problem !== undefined) throw new Error(`${problem}: run \`npm run build\` (or \`npm test\`) first`);
  const builtAfterMs = statSync(join(DIST, 'src', 'index.js')).mtimeMs;
  const sdk = readdirSync(join(DIST, 'src', 'sdk'), { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.d.ts'))
    .map((name) => `src/sdk/${name}`);
  const names = ['src/index.d.ts', ...sdk].filter(
    (name) =>
      existsSync(join(REPO_ROOT, name.replace(/\.d\.ts$/, '.ts'))) &&
      statSync(join(DIST, name)).mtimeMs >= builtAfterMs,
  );
  return names
    .sort()
    .map((name) => `// ${name}\n${readFileSync(join(DIST, name), 'utf8')}`)
    .join('\n');
}

/** The names src/index.ts exports whose declaration has no doc comment. */
function undocumentedExports(program: ts.Program): string[] {
  const checker = program.getTypeChecker();
  const entry = program.getSourceFile(resolve('src/index.ts'));
  const module = entry && checker.getSymbolAtLocation(entry);
  if (!module) throw new Error('cannot read src/index.ts');
  return checker.getExportsOfModule(module).flatMap((exported) => {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    return symbol.getDocumentationComment(checker).length === 0 ? [exported.getName()] : [];
  });
}

describe('the public API', () => {
  it('matches the committed report (api/parajob.d.ts)', async () => {
    await expect(publicDeclarations()).toMatchFileSnapshot('../../../api/parajob.d.ts');
  });

  describe('docs', () => {
    let program: ts.Program;
    beforeAll(() => {
      program = publicProgram();
    }, 120_000);

    it('documents every export of the package', () => {
      expect(undocumentedExports(program)).toEqual([]);
    });
  });
});
