/**
 * Loads an MLTable: reads the YAML, checks it (parse-mltable.ts) and resolves `paths` to a sorted list
 * of files on the local/shared filesystem. The result is the MLTable model of model.ts.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';

import { glob } from 'tinyglobby';

import type { SpecError } from '../../errors.js';
import { InputError, SpecErrors } from '../../errors.js';
import { YamlSource } from '../../jobspec/yaml-source.js';
import type { MLTable, TableTransform, TabularReader } from './model.js';
import { parseMLTable, type PathEntry } from './parse-mltable.js';

/** The name of the MLTable file inside an MLTable folder. */
export const MLTABLE_FILE_NAME = 'MLTable';

const REMOTE_URI = /^(azureml|https?|wasbs?|abfss?|adl|gs|s3):\/\//i;

/**
 * Loads the MLTable at `pathToFolderOrFile` (a folder holding a file named `MLTable`, or the file
 * itself). `paths` entries are resolved against the MLTable's folder; `file` must exist, `folder`
 * lists every file below it (recursively), `pattern` is a glob (`*`, `?`, `[..]`, `**`). The file list
 * is deduplicated and sorted by code point, so every load gives the same order.
 *
 * @throws InputError when the MLTable cannot be found; SpecErrors for an invalid MLTable (each error
 *   names the MLTable file, the key path and the line), including entries that match no file.
 */
export async function loadMLTable(pathToFolderOrFile: string): Promise<MLTable> {
  const file = await locateMLTableFile(path.resolve(pathToFolderOrFile));
  const source = await YamlSource.read(file);
  const parsed = parseMLTable(source);
  const baseDir = path.dirname(file);
  const errors: SpecError[] = [];
  const found = new Set<string>();
  for (const entry of parsed.paths) {
    try {
      const matches = await resolvePathEntry(entry, baseDir);
      if (matches.length === 0)
        errors.push(
          source.error(entry.keyPath, `no file matches ${entry.kind} \`${entry.value}\` (resolved against ${baseDir})`),
        );
      for (const match of matches) if (match !== file) found.add(match);
    } catch (error) {
      errors.push(source.error(entry.keyPath, (error as Error).message));
    }
  }
  if (errors.length > 0) throw new SpecErrors(errors);
  // Code-point order (not locale order): the same on every machine.
  const files = [...found].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (files.length === 0)
    throw new SpecErrors([source.error(['paths'], 'the paths match no file other than the MLTable itself')]);
  const transforms: TableTransform[] = parsed.transforms.map((t) =>
    t.kind === 'extract_columns_from_partition_format' ? { ...t, baseDir } : t,
  );
  if (!parsed.reader) return { kind: 'files', source: file, files, transforms };
  const reader: TabularReader =
    parsed.reader.format === 'delimited' && parsed.reader.header === 'from_first_file'
      ? { ...parsed.reader, headerFile: files[0]! }
      : parsed.reader;
  return { kind: 'tabular', source: file, files, reader, transforms };
}

async function locateMLTableFile(target: string): Promise<string> {
  let info;
  try {
    info = await stat(target);
  } catch {
    throw new InputError(`${target}: no such MLTable folder or file`);
  }
  if (!info.isDirectory()) return target;
  const file = path.join(target, MLTABLE_FILE_NAME);
  try {
    await stat(file);
  } catch {
    throw new InputError(`${target}: the folder has no file named ${MLTABLE_FILE_NAME}`);
  }
  return file;
}

/** Absolute paths of the files one `paths` entry stands for (unsorted). */
async function resolvePathEntry(entry: PathEntry, baseDir: string): Promise<string[]> {
  if (REMOTE_URI.test(entry.value)) {
    throw new Error(`remote URI \`${entry.value}\` is not supported: parajob reads local or shared-filesystem paths`);
  }
  const local = entry.value.replace(/^file:\/\//i, '');
  if (entry.kind === 'pattern') {
    const matches = await glob(local, {
      cwd: baseDir,
      absolute: true,
      onlyFiles: true,
      dot: false,
      expandDirectories: false,
    });
    return matches.map((m) => path.normalize(m));
  }
  const target = path.resolve(baseDir, local);
  let info;
  try {
    info = await stat(target);
  } catch {
    return [];
  }
  if (entry.kind === 'file') {
    if (!info.isFile()) throw new Error(`\`${entry.value}\` is not a file (use {folder: …} for a folder)`);
    return [target];
  }
  if (!info.isDirectory()) throw new Error(`\`${entry.value}\` is not a folder (use {file: …} for a file)`);
  const matches = await glob('**/*', {
    cwd: target,
    absolute: true,
    onlyFiles: true,
    dot: false,
    expandDirectories: false,
  });
  return matches.map((m) => path.normalize(m));
}
