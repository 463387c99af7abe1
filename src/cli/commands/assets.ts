/**
 * `parajob component create|list|show`, `parajob data create|list|show`, `parajob datastore
 * create|list` and `parajob job validate`: the verbs that only register or validate. Assets live in the
 * local data dir (`--data-dir`, default ./.parajob), where `parajob run` finds them.
 */
import { resolve } from 'node:path';

import { InputError } from '../../errors.js';
import { LocalAssetStore } from '../../jobspec/assets/local-store.js';
import { registerComponent, registerData } from '../../jobspec/assets/register.js';
import { parseAssetReference } from '../../jobspec/assets/resolver.js';
import { compileJobSpec, readJobText } from '../../jobspec/load.js';
import { applySetOverrides } from '../../jobspec/set-overrides.js';
import { YamlSource } from '../../jobspec/yaml-source.js';
import { checkMLTableInputs } from '../../sdk/submission.js';
import { type CommandIo, writeLine } from '../command-io.js';
import { describeError } from '../describe-error.js';
import { ExitCode, exitCodeForError } from '../exit-codes.js';

export interface AssetOptions {
  readonly dataDir: string;
  readonly set?: readonly string[];
  readonly json?: boolean;
}

async function guarded(io: CommandIo, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (error) {
    writeLine(io.stderr, describeError(error));
    return exitCodeForError(error);
  }
}

function print(io: CommandIo, json: boolean | undefined, value: unknown, text: string): void {
  writeLine(io.stdout, json ? JSON.stringify(value, null, 2) : text);
}

export function componentCreateCommand(file: string, options: AssetOptions, io: CommandIo): Promise<number> {
  return guarded(io, async () => {
    const stored = await registerComponent(file, options.set ?? [], new LocalAssetStore(options.dataDir));
    print(io, options.json, stored, `Registered component ${stored.name}:${stored.version} (${stored.file})`);
    return ExitCode.succeeded;
  });
}

export function dataCreateCommand(file: string, options: AssetOptions, io: CommandIo): Promise<number> {
  return guarded(io, async () => {
    const stored = await registerData(file, options.set ?? [], new LocalAssetStore(options.dataDir));
    print(io, options.json, stored, `Registered data ${stored.name}:${stored.version} (${stored.type} ${stored.path})`);
    return ExitCode.succeeded;
  });
}

/** `datastore create`: a folder (`path`) or an S3 prefix (`s3`, with its connection). */
export interface DatastoreOptions {
  readonly name: string;
  readonly path?: string;
  readonly s3?: string;
  readonly endpoint?: string;
  readonly region?: string;
  readonly credentials?: string;
}

export function datastoreCreateCommand(
  datastore: DatastoreOptions,
  options: AssetOptions,
  io: CommandIo,
): Promise<number> {
  return guarded(io, async () => {
    const store = new LocalAssetStore(options.dataDir);
    const { name, path, s3 } = datastore;
    if ((path === undefined) === (s3 === undefined)) {
      throw new InputError('datastore create: give either --path <dir> or --s3 <s3://bucket/prefix>');
    }
    if (path !== undefined && [datastore.endpoint, datastore.region, datastore.credentials].some(Boolean)) {
      throw new InputError('datastore create: --endpoint, --region and --credentials go with --s3, not --path');
    }
    const stored =
      s3 === undefined
        ? await store.addDatastore(name, path as string)
        : await store.addObjectStoreDatastore(name, s3, {
            endpoint: datastore.endpoint,
            region: datastore.region,
            credentialsFile: datastore.credentials,
          });
    print(io, options.json, stored, `Datastore ${stored.name} is ${stored.path}`);
    return ExitCode.succeeded;
  });
}

export function datastoreListCommand(options: AssetOptions, io: CommandIo): Promise<number> {
  return guarded(io, async () => {
    const store = new LocalAssetStore(options.dataDir);
    const builtIn = store.datastore('workspaceblobstore');
    const stores = [{ name: 'workspaceblobstore', path: builtIn.ok ? builtIn.value : '' }, ...store.datastores()];
    print(io, options.json, stores, stores.map((item) => `${item.name}\t${item.path}`).join('\n'));
    return ExitCode.succeeded;
  });
}

/** `component list` / `data list`: the latest version of each name. */
export function assetListCommand(kind: 'components' | 'data', options: AssetOptions, io: CommandIo): Promise<number> {
  return guarded(io, async () => {
    const items = new LocalAssetStore(options.dataDir).list<{ name: string; version: string; createdAt: number }>(kind);
    const text =
      items.length === 0
        ? `no ${kind === 'data' ? 'data assets' : 'components'} in ${options.dataDir}`
        : items.map((item) => `${item.name}:${item.version}`).join('\n');
    print(io, options.json, items, text);
    return ExitCode.succeeded;
  });
}

/** `component show NAME[:VERSION]` / `data show NAME[:VERSION]` (latest when no version). */
export function assetShowCommand(
  kind: 'components' | 'data',
  reference: string,
  options: AssetOptions,
  io: CommandIo,
): Promise<number> {
  return guarded(io, async () => {
    const parsed = parseAssetReference(reference.startsWith('azureml:') ? reference : `azureml:${reference}`);
    if (!parsed) {
      writeLine(io.stderr, `error: expected NAME, NAME:VERSION or NAME@latest, got "${reference}"`);
      return ExitCode.invalidInput;
    }
    const store = new LocalAssetStore(options.dataDir);
    const found = kind === 'components' ? store.component(parsed) : store.data(parsed);
    if (!found.ok) {
      writeLine(io.stderr, `error: ${found.message}`);
      return ExitCode.invalidInput;
    }
    writeLine(io.stdout, JSON.stringify(found.value, null, 2));
    return ExitCode.succeeded;
  });
}

/** `job validate --file F`: every error at once, nothing submitted; 0 valid, 2 not. */
export function jobValidateCommand(file: string, options: AssetOptions, io: CommandIo): Promise<number> {
  return guarded(io, async () => {
    const specPath = resolve(file);
    const text = applySetOverrides(specPath, await readJobText(specPath), options.set ?? []);
    const dataDir = resolve(options.dataDir);
    const compiled = compileJobSpec(YamlSource.parse(specPath, text), {
      runDir: resolve(dataDir, 'runs', 'validate'),
      assets: new LocalAssetStore(dataDir),
    });
    await checkMLTableInputs(compiled);
    for (const warning of compiled.warnings) writeLine(io.stderr, `warning: ${warning}`);
    const steps = compiled.steps.map(
      (step) => `${step.name} (${step.kind}${step.dependsOn.length > 0 ? ` after ${step.dependsOn.join(', ')}` : ''})`,
    );
    print(
      io,
      options.json,
      {
        valid: true,
        steps: compiled.steps.map((step) => ({ name: step.name, type: step.kind, dependsOn: step.dependsOn })),
      },
      `${specPath} is valid: ${steps.length} step(s): ${steps.join('; ')}`,
    );
    return ExitCode.succeeded;
  });
}
