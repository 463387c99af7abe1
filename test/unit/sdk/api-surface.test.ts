/**
 * The API report: the declarations of the package entry point and the SDK, as tsconfig.types.json
 * emits them, compared with the committed api/parajob.d.ts. A change to the public surface shows in
 * review as a change to that file (update it with `npx vitest run test/unit/sdk/api-surface.test.ts -u`).
 */
import { resolve } from 'node:path';

import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/** The public declarations, file by file in a stable order, paths relative to src/. */
function publicDeclarations(): string {
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
  const program = ts.createProgram(config.fileNames, { ...config.options, noEmit: false });
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

describe('the public API', () => {
  it('matches the committed report (api/parajob.d.ts)', async () => {
    await expect(publicDeclarations()).toMatchFileSnapshot('../../../api/parajob.d.ts');
  }, 60_000);
});
