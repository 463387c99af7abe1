/**
 * `parajob component create` and `parajob data create` without the CLI: read the YAML, apply `--set`,
 * validate it as a component (or data asset), and store it in a LocalAssetStore. A component travels as
 * an upload (its bundle, bundle.ts, and snapshots of its code folders) so that the same store call
 * serves a registration in the local data dir and one sent to a coordinator from another machine; the
 * stored component reads the same forever, whatever happens to the files it came from.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

import { parseDocument } from 'yaml';
import * as z from 'zod';

import { hashFiles, takeSnapshot } from '../../code/snapshot.js';
import { InputError, SpecError, SpecErrors } from '../../errors.js';
import { CommandComponentSchema, ParallelComponentSchema, PipelineComponentSchema } from '../component-schema.js';
import { Diagnostics } from '../diagnostics.js';
import { resolveDataPath } from '../inputs.js';
import { strictObject, text } from '../schema.js';
import { applySetOverrides } from '../set-overrides.js';
import { YamlSource } from '../yaml-source.js';
import { issuesToSpecErrors } from '../zod-issues.js';
import { type BundleDocument, gatherComponentBundle } from './bundle.js';
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

/** Validates the component in `source` by its type; returns its name, version and description. */
function checkComponent(source: YamlSource): {
  name: string;
  version: string | undefined;
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
  return {
    name: map.name,
    version,
    description: typeof map.description === 'string' ? map.description : undefined,
  };
}

/** A code folder's snapshot (src/code/snapshot.ts): its files, their hash, where it was taken. */
export type CodeSnapshot = Awaited<ReturnType<typeof takeSnapshot>>;

/** What travels from where a component is registered to the store that keeps it. */
export interface ComponentUpload {
  /** The bundle's documents (bundle.ts): document 0 is the component, with `--set` applied. */
  readonly documents: readonly BundleDocument[];
  /** Snapshots of the bundle's code folders, by index. */
  readonly code: readonly CodeSnapshot[];
}

/**
 * The client's half of registering a component file: validates it (located errors against the file as
 * written), gathers the files it reaches and snapshots its code folders (bundle.ts).
 */
export async function prepareComponentUpload(file: string, sets: readonly string[]): Promise<ComponentUpload> {
  const path = resolve(file);
  checkComponent(await readSource(path, sets));
  const bundle = await gatherComponentBundle(path, sets);
  const code: CodeSnapshot[] = [];
  for (const folder of bundle.codeFolders) code.push(await takeSnapshot(folder));
  return { documents: bundle.documents, code };
}

/**
 * The store's half: validates the component again (it may come from another machine), gives it the next
 * version when it names none, and stores its documents and code snapshots. Throws SpecErrors for a bad
 * component, InputError for a version that exists already.
 */
export async function storeComponentUpload(upload: ComponentUpload, store: LocalAssetStore): Promise<StoredComponent> {
  const main = upload.documents[0];
  if (main === undefined) throw new InputError('a component upload holds no component document');
  for (const snapshot of upload.code) {
    // A corrupted or tampered upload from another machine is refused before anything is stored.
    if (hashFiles(snapshot.files) !== snapshot.hash)
      throw new InputError(
        `code snapshot of ${snapshot.sourceDir}: its files do not hash to the ${snapshot.hash} it claims`,
      );
  }
  const source = YamlSource.parse(main.sourcePath, main.text);
  const checked = checkComponent(source);
  const version = checked.version ?? store.nextVersion('components', checked.name);
  const document = parseDocument(main.text);
  document.set('version', version);
  const documents = [document.toString(), ...upload.documents.slice(1).map((item) => item.text)];
  return store.addComponent(
    { name: checked.name, version, sourceFile: main.sourcePath, description: checked.description },
    documents,
    upload.code,
  );
}

/** Registers the component file `file` in a local store (see the module comment). Throws SpecErrors for a bad file. */
export async function registerComponent(
  file: string,
  sets: readonly string[],
  store: LocalAssetStore,
): Promise<StoredComponent> {
  return storeComponentUpload(await prepareComponentUpload(file, sets), store);
}

/** Registers the data asset file `file`: its local (or datastore) path must exist. */
export async function registerData(file: string, sets: readonly string[], store: LocalAssetStore): Promise<StoredData> {
  const path = resolve(file);
  return storeDataAsset(await readSource(path, sets), store);
}

/**
 * Registers a data asset from its YAML text, read at `specPath` on the client (a relative `path:`
 * resolves against that file's folder): what a coordinator does with a registration sent to it.
 */
export function registerDataText(specPath: string, text: string, store: LocalAssetStore): Promise<StoredData> {
  return storeDataAsset(YamlSource.parse(specPath, text), store);
}

async function storeDataAsset(source: YamlSource, store: LocalAssetStore): Promise<StoredData> {
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
    baseDir: dirname(source.file),
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
