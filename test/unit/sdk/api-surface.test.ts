/**
 * The API report: the declarations of the package entry point and the SDK, as tsconfig.types.json
 * emits them, compared with the committed api/parajob.d.ts. A change to the public surface shows in
 * review as a change to that file (update it with `npx vitest run test/unit/sdk/api-surface.test.ts -u`).
 * And every export of the entry point has its TSDoc (wherever it is declared, src/gen included: the
 * proto's comments are the wire types' docs).
 */
import { resolve } from 'node:path';

import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';

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
  return ts.createProgram(config.fileNames, { ...config.options, noEmit: false });
}

/** The public declarations, file by file in a stable order, paths relative to src/. */
function publicDeclarations(program: ts.Program): string {
  const files = new Map<string, string>();
  program.emit(
    undefined,
    (fileName, text) => {
      const relative = fileName.slice(fileName.indexOf('/src/') + 1);
      if (relative === 'src/index.d.ts' || relative.startsWith('src/sdk/')) files.set(relative, text);
    },
    undefined,
    true,
  );
  return [...files.keys()]
    .sort()
    .map((name) => `// ${name}\n${files.get(name) ?? ''}`)
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
  let program: ts.Program;
  beforeAll(() => {
    program = publicProgram();
  }, 120_000);

  it('matches the committed report (api/parajob.d.ts)', async () => {
    await expect(publicDeclarations(program)).toMatchFileSnapshot('../../../api/parajob.d.ts');
  }, 120_000);

  it('documents every export of the package', () => {
    expect(undocumentedExports(program)).toEqual([]);
  });
});
