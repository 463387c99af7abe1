/**
 * Registered assets and datastores looked up on the coordinator, for validating a job on the client
 * before it is submitted there. Where resolution happens: the coordinator resolves `azureml:` references itself
 * when it compiles a submitted job (its own registry, in its data dir, is the truth and the only
 * copy a client on another machine can reach); the client resolves them the same way only to report
 * mistakes early, with file and line, and to know which code folders it must snapshot.
 *
 * The spec compiler asks for assets synchronously, so the client compiles, fetches what the compile
 * asked for and did not have, and compiles again (a registered pipeline component may name further
 * registered components: each round learns at least one new name, so the rounds end). A fetched
 * component's stored files (its documents and code, GetComponent with include_files) are written to
 * a private cache folder so the compiler reads them as it reads any component file; their code
 * folders are the coordinator's already and are never sent back (isCachedCode).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

import { status as GrpcStatus } from '@grpc/grpc-js';

import { writeSnapshot } from '../code/snapshot.js';
import { bundleCodeName, bundleDocumentName } from '../jobspec/assets/bundle.js';
import {
  type AssetReference,
  type AssetResolver,
  formatAssetReference,
  type Lookup,
  type RegisteredComponent,
  type RegisteredData,
} from '../jobspec/assets/resolver.js';
import type { AssetsApi } from '../rpc/assets-client.js';
import { isServiceError } from '../rpc/jobs-client.js';
import type { ObjectStoreConnection } from '../storage/s3-settings.js';

type Kind = 'component' | 'data' | 'datastore';
type Found = RegisteredComponent | RegisteredData | FetchedDatastore;

/** A datastore as the coordinator shows it: its folder or S3 prefix, and how it is reached (no credentials). */
interface FetchedDatastore {
  readonly path: string;
  readonly connection: ObjectStoreConnection | undefined;
}

/** An AssetResolver over one coordinator's registry (see the module comment). */
export class CoordinatorAssets implements AssetResolver {
  private readonly known = new Map<string, Lookup<Found>>();
  private readonly wanted = new Map<string, { kind: Kind; reference: AssetReference }>();
  private cache: string | undefined;

  /** @param api the coordinator's Assets service. */
  constructor(private readonly api: AssetsApi) {}

  /** The component as fetched, or a miss recorded for the next round of {@link compile}. */
  component(reference: AssetReference): Lookup<RegisteredComponent> {
    return this.lookup('component', reference) as Lookup<RegisteredComponent>;
  }

  /** The data asset as fetched, or a miss recorded for the next round of {@link compile}. */
  data(reference: AssetReference): Lookup<RegisteredData> {
    return this.lookup('data', reference) as Lookup<RegisteredData>;
  }

  /** The datastore's folder or S3 prefix on the coordinator, or a miss recorded for the next round. */
  datastore(name: string): Lookup<string> {
    const found = this.lookup('datastore', { name, version: undefined });
    return found.ok ? { ok: true, value: (found.value as FetchedDatastore).path } : found;
  }

  /** How the coordinator reaches an object-storage datastore, without its credentials. */
  datastoreConnection(name: string): ObjectStoreConnection | undefined {
    const found = this.lookup('datastore', { name, version: undefined });
    return found.ok ? (found.value as FetchedDatastore).connection : undefined;
  }

  /** True for a code folder of a component fetched into the cache: the coordinator holds it already. */
  isCachedCode(folder: string): boolean {
    if (this.cache === undefined) return false;
    const inside = relative(this.cache, folder);
    return inside !== '' && !inside.startsWith('..');
  }

  /**
   * Compiles with this resolver, fetching what each round asked for, until a round asks for nothing
   * new: its result, or the error of the last round.
   */
  async compile<T>(body: (assets: AssetResolver) => Promise<T>): Promise<T> {
    for (;;) {
      try {
        return await body(this);
      } catch (error) {
        if (!(await this.fetchWanted())) throw error;
      }
    }
  }

  /** Removes the cache folder. */
  close(): void {
    if (this.cache !== undefined) rmSync(this.cache, { recursive: true, force: true });
    this.cache = undefined;
  }

  private lookup(kind: Kind, reference: AssetReference): Lookup<Found> {
    const label = kind === 'datastore' ? reference.name : formatAssetReference(reference);
    const key = `${kind} ${label}`;
    const known = this.known.get(key);
    if (known !== undefined) return known;
    this.wanted.set(key, { kind, reference });
    return { ok: false, message: `${kind} ${label} was not fetched from the coordinator` };
  }

  private fetch(kind: Kind, reference: AssetReference): Promise<Found> {
    if (kind === 'component') return this.fetchComponent(reference);
    if (kind === 'data') return this.fetchData(reference);
    return this.fetchDatastore(reference.name);
  }

  /** Fetches every reference asked for and not yet known; false when there was none. */
  private async fetchWanted(): Promise<boolean> {
    const wanted = [...this.wanted.entries()];
    this.wanted.clear();
    for (const [key, { kind, reference }] of wanted) {
      try {
        this.known.set(key, { ok: true, value: await this.fetch(kind, reference) });
      } catch (error) {
        if (!isServiceError(error) || error.code !== GrpcStatus.NOT_FOUND) throw error;
        this.known.set(key, { ok: false, message: `${error.details} (on the coordinator at ${this.api.address})` });
      }
    }
    return wanted.length > 0;
  }

  private async fetchComponent(reference: AssetReference): Promise<RegisteredComponent> {
    const asset = await this.api.getComponent(reference, true);
    this.cache ??= mkdtempSync(join(tmpdir(), 'parajob-assets-'));
    const home = join(this.cache, asset.name, asset.version);
    await mkdir(home, { recursive: true });
    for (const [index, document] of asset.documents.entries())
      await writeFile(join(home, bundleDocumentName(index)), document.text);
    for (const [index, snapshot] of asset.code.entries())
      await writeSnapshot(snapshot.files, join(home, bundleCodeName(index)));
    return { name: asset.name, version: asset.version, file: join(home, bundleDocumentName(0)) };
  }

  private async fetchDatastore(name: string): Promise<FetchedDatastore> {
    const store = await this.api.getDatastore(name);
    const connection: ObjectStoreConnection = {
      ...(store.endpoint === '' ? {} : { endpoint: store.endpoint }),
      ...(store.region === '' ? {} : { region: store.region }),
    };
    return { path: store.path, connection: store.path.startsWith('s3://') ? connection : undefined };
  }

  private async fetchData(reference: AssetReference): Promise<RegisteredData> {
    const asset = await this.api.getData(reference);
    const type = asset.type === 'uri_file' || asset.type === 'mltable' ? asset.type : 'uri_folder';
    return { name: asset.name, version: asset.version, type, path: asset.path };
  }
}
