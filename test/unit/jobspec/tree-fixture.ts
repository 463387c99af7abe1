/**
 * Test fixture for pipelines made of several files: a temp folder into which a tree of files is
 * written (pipeline, component files, code folders), compiled with a data dir's asset store.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import { type SpecError, SpecErrors } from '../../../src/errors.js';
import { LocalAssetStore } from '../../../src/jobspec/assets/local-store.js';
import { compileJobSpec } from '../../../src/jobspec/load.js';
import type { CompiledJob } from '../../../src/jobspec/model.js';
import { YamlSource } from '../../../src/jobspec/yaml-source.js';

export interface TreeFixture {
  readonly dir: string;
  readonly runDir: string;
  readonly dataDir: string;
  readonly store: LocalAssetStore;
  /** Writes `files` (path relative to the fixture → text); a path ending in `/` is a folder. */
  write(files: Readonly<Record<string, string>>): void;
  /** Compiles `file` (relative) after writing `files`. */
  compile(file: string, files?: Readonly<Record<string, string>>): CompiledJob;
  /** The SpecErrors compiling `file` gives (fails the test when it compiles). */
  errors(file: string, files?: Readonly<Record<string, string>>): readonly SpecError[];
  remove(): void;
}

export function createTreeFixture(): TreeFixture {
  const dir = mkdtempSync(join(tmpdir(), 'parajob-tree-'));
  const runDir = join(dir, 'runs', 'job-1');
  const dataDir = join(dir, '.parajob');
  const store = new LocalAssetStore(dataDir);
  const write = (files: Readonly<Record<string, string>>): void => {
    for (const [path, text] of Object.entries(files)) {
      const full = join(dir, path);
      if (path.endsWith('/')) {
        mkdirSync(full, { recursive: true });
        continue;
      }
      mkdirSync(dirname(full), { recursive: true });
      writeFileSync(full, text);
    }
  };
  const compile = (file: string, files: Readonly<Record<string, string>> = {}): CompiledJob => {
    write(files);
    const path = join(dir, file);
    return compileJobSpec(YamlSource.parse(path, readText(files, file, path)), { runDir, assets: store });
  };
  return {
    dir,
    runDir,
    dataDir,
    store,
    write,
    compile,
    errors(file, files = {}) {
      try {
        compile(file, files);
      } catch (error) {
        if (error instanceof SpecErrors) return error.errors;
        throw error;
      }
      throw new Error('expected the spec to be rejected, but it compiled');
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

function readText(files: Readonly<Record<string, string>>, file: string, path: string): string {
  return files[file] ?? readFileSync(path, 'utf8');
}

/** `file:line: keyPath: detail` of each error, for compact assertions. */
export function brief(errors: readonly SpecError[]): string[] {
  return errors.map((error) => `${error.location.keyPath}: ${error.detail}`);
}
