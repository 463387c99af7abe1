/**
 * `parajob component create` and `parajob data create` without the CLI: read the YAML, apply `--set`,
 * validate it as a component (or data asset), and store it in a LocalAssetStore. A component's code
 * folder is copied into the store and the stored YAML points at the copy; a pipeline component's
 * relative `component:` files are made absolute so the stored YAML reads the same from its new home.
 */
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';

import { isMap, parseDocument } from 'yaml';
import * as z from 'zod';

import { SpecError, SpecErrors } from '../../errors.js';
import { CommandComponentSchema, ParallelComponentSchema, PipelineComponentSchema } from '../component-schema.js';
import { Diagnostics } from '../diagnostics.js';
import { resolveDataPath } from '../inputs.js';
import { resolveLocalPath } from '../local-path.js';
import { strictObject, text } from '../schema.js';
import { applySetOverrides } from '../set-overrides.js';
import { YamlSource } from '../yaml-source.js';
import { issuesToSpecErrors } from '../zod-issues.js';
import { assetNameProblem, type LocalAssetStore, type StoredComponent, type StoredData } from './local-store.js';

/** A data asset file (`data.schema.json`). */
export const DataAssetSchema = strictObject({
  $schema: text.optional(),
  name: text,
  version: z.union([z.string(), z.number()], { error: 'expected a version string' }).optional(),
  description: text.optional(),
  tags: z.unknown().optional(),
  type: z.enum(['uri_folder', 'uri_file', 'mltable'], { error: 'expected uri_folder, uri_file or mltable' }).optional(),
  path: text,
});

async function readSource(file: string, sets: readonly string[]): Promise<YamlSource> {
  let raw: string;
  try {
    raw = await readFile(file, 'utf8');
  } catch (error) {
    throw new SpecErrors([new SpecError({ file, keyPath: '' }, `cannot read the file: ${(error as Error).message}`)]);
  }
  return YamlSource.parse(file, applySetOverrides(file, raw, sets));
}

function fail(source: YamlSource, path: readonly (string | number)[], detail: string): never {
  throw new SpecErrors([source.error(path, detail)]);
}

/** Validates the component in `source` by its type; returns its name, version, and code folder key. */
function checkComponent(source: YamlSource): {
  name: string;
  version: string | undefined;
  codeKey: string[] | undefined;
  description: string | undefined;
} {
  const raw = source.toJS();
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    fail(source, [], 'expected a component (a map with type, name, …)');
  const map = raw as Record<string, unknown>;
  const type = map.type ?? 'command';
  const schema =
    type === 'command'
      ? CommandComponentSchema
      : type === 'parallel'
        ? ParallelComponentSchema
        : type === 'pipeline'
          ? PipelineComponentSchema
          : undefined;
  if (!schema)
    fail(source, ['type'], `type "${String(type)}" cannot be registered; expected command, parallel or pipeline`);
  const parsed = schema.safeParse(map);
  if (!parsed.success) throw new SpecErrors(issuesToSpecErrors(source, parsed.error.issues, map));
  if (typeof map.name !== 'string') fail(source, ['name'], 'is required to register a component (or --set name=…)');
  const version = map.version === undefined ? undefined : String(map.version);
  const problem = assetNameProblem(map.name, version);
  if (problem) fail(source, ['name'], problem);
  const codeKey = type === 'command' ? ['code'] : type === 'parallel' ? ['task', 'code'] : undefined;
  return {
    name: map.name,
    version,
    codeKey,
    description: typeof map.description === 'string' ? map.description : undefined,
  };
}

/** Registers the component file `file` (see the module comment). Throws SpecErrors for a bad file. */
export async function registerComponent(
  file: string,
  sets: readonly string[],
  store: LocalAssetStore,
): Promise<StoredComponent> {
  const path = resolve(file);
  const source = await readSource(path, sets);
  const checked = checkComponent(source);
  const baseDir = dirname(path);
  let codeDir: string | undefined;
  if (checked.codeKey) {
    const written = source.document.getIn(checked.codeKey);
    if (typeof written === 'string' || checked.codeKey.length === 2) {
      const resolved = resolveLocalPath(typeof written === 'string' ? written : '.', baseDir);
      if (!resolved.ok) fail(source, checked.codeKey, resolved.message);
      if (!existsSync(resolved.path) || !statSync(resolved.path).isDirectory())
        fail(source, checked.codeKey, `the code folder does not exist: ${resolved.path}`);
      codeDir = resolved.path;
    }
  }
  // Text re-parsed so the stored copy is edited, not the source's document.
  const document = parseDocument(source.document.toString());
  const jobs = document.get('jobs', true);
  if (isMap(jobs)) {
    for (const pair of jobs.items) {
      const step = pair.value;
      if (!isMap(step)) continue;
      const ref = step.get('component');
      if (typeof ref === 'string' && !ref.startsWith('azureml:') && !isAbsolute(ref))
        step.set('component', resolve(baseDir, ref));
    }
  }
  const version = checked.version ?? store.nextVersion('components', checked.name);
  document.set('version', version);
  return store.addComponent(
    { name: checked.name, version, sourceFile: path, description: checked.description },
    codeDir,
    (snapshot) => {
      if (snapshot !== undefined && checked.codeKey) document.setIn(checked.codeKey, snapshot);
      return document.toString();
    },
  );
}

/** Registers the data asset file `file`: its local (or datastore) path must exist. */
export async function registerData(file: string, sets: readonly string[], store: LocalAssetStore): Promise<StoredData> {
  const path = resolve(file);
  const source = await readSource(path, sets);
  const raw = source.toJS();
  const parsed = DataAssetSchema.safeParse(raw);
  if (!parsed.success) throw new SpecErrors(issuesToSpecErrors(source, parsed.error.issues, raw));
  const spec = parsed.data;
  const version = spec.version === undefined ? undefined : String(spec.version);
  const problem = assetNameProblem(spec.name, version);
  if (problem) fail(source, ['name'], problem);
  const diagnostics = new Diagnostics(source);
  const resolved = resolveDataPath(spec.path, {
    diagnostics,
    baseDir: dirname(path),
    parentInputs: undefined,
    assets: store,
  });
  if (!resolved.ok) fail(source, ['path'], resolved.message);
  if (!existsSync(resolved.path)) fail(source, ['path'], `the data does not exist: ${resolved.path}`);
  return store.addData({
    name: spec.name,
    version: version ?? store.nextVersion('data', spec.name),
    type: spec.type ?? 'uri_folder',
    path: resolved.path,
    description: spec.description,
  });
}
