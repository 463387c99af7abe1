/**
 * `parajob component create|list|show`, `parajob data create|list|show`, `parajob datastore
 * create|list|show` and `parajob job validate`: the verbs that only register or validate. Components,
 * data and datastores live with the coordinator when one is named (the SDK's client.components /
 * client.data / client.datastores, over the Assets service), else in the local data dir (`--data-dir`,
 * default ./.parajob), where `parajob run` finds them. A datastore's credentials are never shown.
 */
import { resolve } from 'node:path';

import type { DatastoreAsset } from '../../gen/parajob/v1/parajob.js';
import { ComponentAsset, DataAsset } from '../../gen/parajob/v1/parajob.js';
import { createDatastore, type DatastoreView, datastoreView } from '../../jobspec/assets/datastores.js';
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

/** One line of `datastore list`: name, place, and whether it has credentials of its own (never what they are). */
function datastoreLine(view: DatastoreView): string {
  const where = [view.endpoint, view.region].filter(Boolean).join(' ');
  const credentials = view.path.startsWith('s3://')
    ? view.hasCredentials
      ? ' (own credentials)'
      : " (the coordinator's environment's credentials)"
    : '';
  return `${view.name}\t${view.path}${where ? ` ${where}` : ''}${credentials}`;
}

function viewOfMessage(asset: DatastoreAsset): DatastoreView {
  return {
    name: asset.name,
    path: asset.path,
    ...(asset.endpoint === '' ? {} : { endpoint: asset.endpoint }),
    ...(asset.region === '' ? {} : { region: asset.region }),
    hasCredentials: asset.hasCredentials,
    builtIn: asset.builtIn,
  };
}

export function datastoreCreateCommand(
  datastore: DatastoreOptions,
  options: AssetOptions,
  io: CommandIo,
): Promise<number> {
  const { coordinator } = options;
  const text = (view: DatastoreView, where: string) => `Datastore ${view.name} is ${view.path}${where}`;
  if (coordinator !== undefined)
    return withCoordinator(coordinator, io, async (client) => {
      const view = viewOfMessage(
        await client.datastores.createOrUpdate({
          name: datastore.name,
          ...(datastore.path === undefined ? {} : { path: datastore.path }),
          ...(datastore.s3 === undefined ? {} : { s3: datastore.s3 }),
          ...(datastore.endpoint === undefined ? {} : { endpoint: datastore.endpoint }),
          ...(datastore.region === undefined ? {} : { region: datastore.region }),
          ...(datastore.credentials === undefined ? {} : { credentialsFile: datastore.credentials }),
        }),
      );
      print(io, options.json, view, text(view, ` on ${coordinator}`));
      return ExitCode.succeeded;
    });
  return guarded(io, async () => {
    const stored = await createDatastore(new LocalAssetStore(options.dataDir), {
      name: datastore.name,
      path: datastore.path,
      s3: datastore.s3,
      endpoint: datastore.endpoint,
      region: datastore.region,
      credentialsFile: datastore.credentials,
    });
    const view = datastoreView(stored);
    print(io, options.json, view, text(view, ''));
    return ExitCode.succeeded;
  });
}

export function datastoreListCommand(options: AssetOptions, io: CommandIo): Promise<number> {
  const show = (views: readonly DatastoreView[]): number => {
    print(io, options.json, views, views.map(datastoreLine).join('\n'));
    return ExitCode.succeeded;
  };
  const { coordinator } = options;
  if (coordinator !== undefined)
    return withCoordinator(coordinator, io, async (client) =>
      show((await client.datastores.list()).map(viewOfMessage)),
    );
  return guarded(io, async () => show(new LocalAssetStore(options.dataDir).allDatastores().map(datastoreView)));
}

/** `datastore show NAME`: where it is and how it is reached, as JSON; never its credentials. */
export function datastoreShowCommand(name: string, options: AssetOptions, io: CommandIo): Promise<number> {
  const { coordinator } = options;
  if (coordinator !== undefined)
    return withCoordinator(coordinator, io, async (client) => {
      writeLine(io.stdout, JSON.stringify(viewOfMessage(await client.datastores.get(name)), null, 2));
      return ExitCode.succeeded;
    });
  return guarded(io, async () => {
    const store = new LocalAssetStore(options.dataDir);
    const stored = store.datastoreRecord(name);
    if (stored === undefined) {
      const missing = store.datastore(name);
      writeLine(io.stderr, `error: ${missing.ok ? `no datastore ${name}` : missing.message}`);
      return ExitCode.invalidInput;
    }
    writeLine(io.stdout, JSON.stringify(datastoreView(stored), null, 2));
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
