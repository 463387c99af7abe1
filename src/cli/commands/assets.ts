/**
 * `parajob component create|list|show`, `parajob data create|list|show`, `parajob datastore
 * create|list` and `parajob job validate`: the verbs that only register or validate. Components and
 * data live with the coordinator when one is named (the SDK's client.components / client.data, over
 * the Assets service), else in the local data dir (`--data-dir`, default ./.parajob), where
 * `parajob run` finds them; datastores live in the data dir.
 */
import { resolve } from 'node:path';

import { InputError } from '../../errors.js';
import { ComponentAsset, DataAsset } from '../../gen/parajob/v1/parajob.js';
import { LocalAssetStore } from '../../jobspec/assets/local-store.js';
import { registerComponent, registerData } from '../../jobspec/assets/register.js';
import { parseAssetReference } from '../../jobspec/assets/resolver.js';
import { compileJobSpec, readJobText } from '../../jobspec/load.js';
import { applySetOverrides } from '../../jobspec/set-overrides.js';
import { YamlSource } from '../../jobspec/yaml-source.js';
import { ParajobClient } from '../../sdk/client.js';
import { checkMLTableInputs } from '../../sdk/submission.js';
import { type CommandIo, writeLine } from '../command-io.js';
import { describeError } from '../describe-error.js';
import { ExitCode, exitCodeForError } from '../exit-codes.js';

export interface AssetOptions {
  readonly dataDir: string;
  /** The coordinator holding the components and data; undefined: the data dir's store. */
  readonly coordinator?: string | undefined;
  readonly set?: readonly string[];
  readonly json?: boolean;
}

async function guarded(io: CommandIo, body: () => Promise<number>, coordinator?: string): Promise<number> {
  try {
    return await body();
  } catch (error) {
    writeLine(io.stderr, describeError(error, coordinator === undefined ? {} : { coordinator }));
    return exitCodeForError(error);
  }
}

/** Runs `body` with a client of the coordinator holding the assets. */
function withCoordinator(
  coordinator: string,
  io: CommandIo,
  body: (client: ParajobClient) => Promise<number>,
): Promise<number> {
  const client = new ParajobClient({ address: coordinator });
  return guarded(io, () => body(client), coordinator).finally(() => client.close());
}

function print(io: CommandIo, json: boolean | undefined, value: unknown, text: string): void {
  writeLine(io.stdout, json ? JSON.stringify(value, null, 2) : text);
}

export function componentCreateCommand(file: string, options: AssetOptions, io: CommandIo): Promise<number> {
  const { coordinator } = options;
  if (coordinator !== undefined)
    return withCoordinator(coordinator, io, async (client) => {
      const stored = await client.components.createOrUpdate(file, { sets: options.set ?? [] });
      const json = ComponentAsset.toJSON(stored);
      print(io, options.json, json, `Registered component ${stored.name}:${stored.version} with ${coordinator}`);
      return ExitCode.succeeded;
    });
  return guarded(io, async () => {
    const stored = await registerComponent(file, options.set ?? [], new LocalAssetStore(options.dataDir));
    print(io, options.json, stored, `Registered component ${stored.name}:${stored.version} (${stored.file})`);
    return ExitCode.succeeded;
  });
}

export function dataCreateCommand(file: string, options: AssetOptions, io: CommandIo): Promise<number> {
  const { coordinator } = options;
  if (coordinator !== undefined)
    return withCoordinator(coordinator, io, async (client) => {
      const stored = await client.data.createOrUpdate(file, { sets: options.set ?? [] });
      const text = `Registered data ${stored.name}:${stored.version} (${stored.type} ${stored.path}) with ${coordinator}`;
      print(io, options.json, DataAsset.toJSON(stored), text);
      return ExitCode.succeeded;
    });
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
  const show = (items: readonly { name: string; version: string }[], where: string, json: unknown): number => {
    const text =
      items.length === 0
        ? `no ${kind === 'data' ? 'data assets' : 'components'} in ${where}`
        : items.map((item) => `${item.name}:${item.version}`).join('\n');
    print(io, options.json, json, text);
    return ExitCode.succeeded;
  };
  const { coordinator } = options;
  if (coordinator !== undefined)
    return withCoordinator(coordinator, io, async (client) => {
      if (kind === 'data') {
        const items = await client.data.list();
        return show(
          items,
          coordinator,
          items.map((item) => DataAsset.toJSON(item)),
        );
      }
      const items = await client.components.list();
      return show(
        items,
        coordinator,
        items.map((item) => ComponentAsset.toJSON(item)),
      );
    });
  return guarded(io, async () => {
    const items = new LocalAssetStore(options.dataDir).list<{ name: string; version: string; createdAt: number }>(kind);
    return show(items, options.dataDir, items);
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
    const { coordinator } = options;
    if (coordinator !== undefined)
      return withCoordinator(coordinator, io, async (client) => {
        const found =
          kind === 'components'
            ? ComponentAsset.toJSON(await client.components.get(parsed.name, parsed.version))
            : DataAsset.toJSON(await client.data.get(parsed.name, parsed.version));
        writeLine(io.stdout, JSON.stringify(found, null, 2));
        return ExitCode.succeeded;
      });
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
