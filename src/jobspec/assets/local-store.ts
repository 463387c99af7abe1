/**
 * The asset store of a data dir (`parajob run`'s `--data-dir`, default ./.parajob), as files:
 *   <data dir>/assets/components/<name>/<version>.json   metadata (name, version, createdAt, file)
 *   <data dir>/assets/components/<name>/<version>/        the stored bundle (bundle.ts): component.yml,
 *                                                        part-<j>.yml, code-<i>/ snapshots
 *   <data dir>/assets/data/<name>/<version>.json         a data asset (type, absolute path)
 *   <data dir>/assets/datastores/<name>.json             a datastore (absolute folder, or s3:// prefix and connection)
 *   <data dir>/assets/datastores/<name>.credentials      credentials sent with one (mode 0600; never read back out)
 * Every JSON file is written to a temporary name and renamed, so a reader never sees half of one.
 * `workspaceblobstore` is `<data dir>/datastores/workspaceblobstore/` without being registered.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { chmod, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';

import { takeSnapshot, writeSnapshot } from '../../code/snapshot.js';
import { InputError } from '../../errors.js';
import { formatS3Uri, parseS3Uri } from '../../storage/s3-location.js';
import {
  checkedEndpoint,
  type ObjectStoreConnection,
  parseCredentialsText,
  readCredentialsFile,
} from '../../storage/s3-settings.js';
import { DEFAULT_DATASTORE_NAME } from '../inputs.js';
import { bundleCodeName, bundleDocumentName } from './bundle.js';
import {
  type AssetReference,
  type AssetResolver,
  formatAssetReference,
  type Lookup,
  type RegisteredComponent,
  type RegisteredData,
} from './resolver.js';

/** An asset name: Azure's rule for components (lowercase start), loosened to letters, digits, `_ . -`. */
const ASSET_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,254}$/;
const VERSION = /^[A-Za-z0-9_.-]{1,64}$/;

/** A code folder's snapshot (src/code/snapshot.ts). */
type CodeSnapshot = Awaited<ReturnType<typeof takeSnapshot>>;
type CodeFile = CodeSnapshot['files'][number];

/** A registration of a name and version that exist already (registered versions never change). */
export class AssetExistsError extends InputError {}

interface Stored {
  readonly name: string;
  readonly version: string;
  /** ms since the epoch: `@latest` is the version created last. */
  readonly createdAt: number;
}

export interface StoredComponent extends Stored, RegisteredComponent {
  readonly sourceFile: string;
  readonly description?: string | undefined;
}
export interface StoredData extends Stored, RegisteredData {
  readonly description?: string | undefined;
}
export interface StoredDatastore {
  readonly name: string;
  /** Its absolute folder, or its `s3://bucket/prefix` for a datastore in object storage. */
  readonly path: string;
  /** How the coordinator reaches an object-storage datastore (no secrets: a credentials file's path). */
  readonly connection?: ObjectStoreConnection | undefined;
}

/** Why a name or version cannot be stored, or undefined. */
export function assetNameProblem(name: string, version: string | undefined): string | undefined {
  if (!ASSET_NAME.test(name)) return `name "${name}" must start with a letter and use letters, digits, "_", "." or "-"`;
  if (version !== undefined && !VERSION.test(version))
    return `version "${version}" may use letters, digits, "_", "." and "-"`;
  return undefined;
}

/** Writes `value` as JSON to `file` through a temporary file and a rename. */
export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  const temporary = `${file}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(temporary, `${JSON.stringify(value, null, 2)}\n`);
  await rename(temporary, file);
}

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

export class LocalAssetStore implements AssetResolver {
  readonly root: string;

  constructor(readonly dataDir: string) {
    this.root = join(resolve(dataDir), 'assets');
  }

  private kindDir(kind: 'components' | 'data'): string {
    return join(this.root, kind);
  }

  /** Every stored version of `name`, oldest first. */
  versions<T extends Stored>(kind: 'components' | 'data', name: string): T[] {
    const dir = join(this.kindDir(kind), name);
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .filter((file) => file.endsWith('.json'))
      .map((file) => readJson<T>(join(dir, file)))
      .filter((item): item is T => item !== undefined)
      .sort((a, b) => a.createdAt - b.createdAt || a.version.localeCompare(b.version, 'en', { numeric: true }));
  }

  /** Every asset of a kind: the latest version of each name, by name. */
  list<T extends Stored>(kind: 'components' | 'data'): T[] {
    const dir = this.kindDir(kind);
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .sort()
      .map((name) => this.versions<T>(kind, name).at(-1))
      .filter((item): item is T => item !== undefined);
  }

  private find<T extends Stored>(kind: 'components' | 'data', label: string, reference: AssetReference): Lookup<T> {
    const versions = this.versions<T>(kind, reference.name);
    if (versions.length === 0) {
      const known = this.list<T>(kind).map((item) => item.name);
      return {
        ok: false,
        message: `${label} "${reference.name}" is not registered in ${this.dataDir}${known.length > 0 ? ` (registered: ${known.join(', ')})` : ''}; register it with parajob ${label === 'component' ? 'component' : 'data'} create --file …`,
      };
    }
    const found =
      reference.version === undefined ? versions.at(-1) : versions.find((item) => item.version === reference.version);
    if (!found) {
      return {
        ok: false,
        message: `${label} ${formatAssetReference(reference)} has no such version; its versions are: ${versions.map((item) => item.version).join(', ')}`,
      };
    }
    return { ok: true, value: found };
  }

  component(reference: AssetReference): Lookup<StoredComponent> {
    return this.find<StoredComponent>('components', 'component', reference);
  }

  data(reference: AssetReference): Lookup<StoredData> {
    return this.find<StoredData>('data', 'data asset', reference);
  }

  datastore(name: string): Lookup<string> {
    if (name === DEFAULT_DATASTORE_NAME) return { ok: true, value: join(resolve(this.dataDir), 'datastores', name) };
    const stored = readJson<StoredDatastore>(join(this.root, 'datastores', `${name}.json`));
    if (stored) return { ok: true, value: stored.path };
    const known = [DEFAULT_DATASTORE_NAME, ...this.datastores().map((store) => store.name)];
    return {
      ok: false,
      message: `datastore "${name}" does not exist (known: ${known.join(', ')}); make it with parajob datastore create --name ${name} --path DIR`,
    };
  }

  datastoreConnection(name: string): ObjectStoreConnection | undefined {
    if (name === DEFAULT_DATASTORE_NAME) return undefined;
    return readJson<StoredDatastore>(join(this.root, 'datastores', `${name}.json`))?.connection;
  }

  /** Datastore `name` as stored (workspaceblobstore included); undefined when there is none. */
  datastoreRecord(name: string): StoredDatastore | undefined {
    if (name === DEFAULT_DATASTORE_NAME) return { name, path: join(resolve(this.dataDir), 'datastores', name) };
    return readJson<StoredDatastore>(join(this.root, 'datastores', `${name}.json`));
  }

  /** Every datastore: workspaceblobstore first, then the created ones by name. */
  allDatastores(): StoredDatastore[] {
    return [this.datastoreRecord(DEFAULT_DATASTORE_NAME) as StoredDatastore, ...this.datastores()];
  }

  datastores(): StoredDatastore[] {
    const dir = join(this.root, 'datastores');
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .filter((file) => file.endsWith('.json'))
      .sort()
      .map((file) => readJson<StoredDatastore>(join(dir, file)))
      .filter((item): item is StoredDatastore => item !== undefined);
  }

  /** Now, or just after the newest version when the clock has not moved on: `@latest` never ties. */
  private nextCreatedAt(kind: 'components' | 'data', name: string): number {
    const newest = this.versions(kind, name).at(-1)?.createdAt ?? 0;
    return Math.max(Date.now(), newest + 1);
  }

  /** The next automatic version of `name`: one more than the largest numeric version, else 1. */
  nextVersion(kind: 'components' | 'data', name: string): string {
    const numbers = this.versions(kind, name)
      .map((item) => Number(item.version))
      .filter((value) => Number.isInteger(value));
    return String(numbers.length === 0 ? 1 : Math.max(...numbers) + 1);
  }

  /**
   * Stores a component's documents (bundle.ts: `component.yml`, then `part-<j>.yml`) and writes each code
   * snapshot to `code-<i>/`, all in the version's own folder, so editing the files it came from later
   * does not change the registered version. Refuses a version that exists already.
   */
  async addComponent(
    entry: { name: string; version: string; sourceFile: string; description?: string | undefined },
    documents: readonly string[],
    code: readonly { readonly files: readonly CodeFile[] }[],
  ): Promise<StoredComponent> {
    const dir = join(this.kindDir('components'), entry.name);
    const meta = join(dir, `${entry.version}.json`);
    if (existsSync(meta))
      throw new AssetExistsError(
        `component ${entry.name}:${entry.version} exists already; give another version (--set version=…)`,
      );
    const home = join(dir, entry.version);
    await rm(home, { recursive: true, force: true });
    await mkdir(home, { recursive: true });
    for (const [index, snapshot] of code.entries())
      await writeSnapshot(snapshot.files, join(home, bundleCodeName(index)));
    for (const [index, text] of documents.entries()) await writeFile(join(home, bundleDocumentName(index)), text);
    const stored: StoredComponent = {
      ...entry,
      file: join(home, bundleDocumentName(0)),
      createdAt: this.nextCreatedAt('components', entry.name),
    };
    await writeJsonAtomic(meta, stored);
    return stored;
  }

  /** The stored files of a component version (its documents and code snapshots), for sending it elsewhere. */
  async componentFiles(stored: RegisteredComponent): Promise<{
    documents: { sourcePath: string; text: string }[];
    code: CodeSnapshot[];
  }> {
    const home = dirname(stored.file);
    const names = await readdir(home);
    const count = (pattern: RegExp): number => names.filter((name) => pattern.test(name)).length;
    const documents: { sourcePath: string; text: string }[] = [];
    for (let index = 0; index < 1 + count(/^part-\d+\.yml$/); index++) {
      const file = join(home, bundleDocumentName(index));
      documents.push({ sourcePath: file, text: await readFile(file, 'utf8') });
    }
    const code: CodeSnapshot[] = [];
    for (let index = 0; index < count(/^code-\d+$/); index++)
      code.push(await takeSnapshot(join(home, bundleCodeName(index))));
    return { documents, code };
  }

  async addData(entry: Omit<StoredData, 'createdAt'>): Promise<StoredData> {
    const dir = join(this.kindDir('data'), entry.name);
    const meta = join(dir, `${entry.version}.json`);
    if (existsSync(meta))
      throw new AssetExistsError(`data asset ${entry.name}:${entry.version} exists already; give another version`);
    await mkdir(dir, { recursive: true });
    const stored: StoredData = { ...entry, createdAt: this.nextCreatedAt('data', entry.name) };
    await writeJsonAtomic(meta, stored);
    return stored;
  }

  async addDatastore(name: string, path: string): Promise<StoredDatastore> {
    const dir = await this.datastoresDir(name);
    const folder = resolve(path);
    await mkdir(folder, { recursive: true });
    const stored: StoredDatastore = { name, path: folder };
    await writeJsonAtomic(join(dir, `${name}.json`), stored);
    return stored;
  }

  /**
   * Records an object-storage datastore: `s3://bucket/prefix` reached through `connection`. The
   * credentials file (made absolute) must be readable and hold the keys: checked now, not at the first
   * job. InputError otherwise. `credentialsText` (a credentials file's text sent by a client) is kept
   * in `<name>.credentials` beside the record, readable by this user alone, and becomes its file.
   */
  async addObjectStoreDatastore(
    name: string,
    uri: string,
    connection: ObjectStoreConnection,
    credentialsText?: string,
  ): Promise<StoredDatastore> {
    const what = `datastore ${name}`;
    let location;
    try {
      location = parseS3Uri(uri);
    } catch (error) {
      throw new InputError(`${what}: --s3 ${(error as Error).message}`);
    }
    if (credentialsText !== undefined) {
      if (connection.credentialsFile !== undefined)
        throw new InputError(`${what}: give credentials as a file or as text, not both`);
      parseCredentialsText(credentialsText, 'the credentials sent', what);
      const file = join(await this.datastoresDir(name), `${name}.credentials`);
      await writeFile(file, credentialsText, { mode: 0o600 });
      await chmod(file, 0o600);
      connection = { ...connection, credentialsFile: file };
    }
    const credentialsFile = connection.credentialsFile === undefined ? undefined : resolve(connection.credentialsFile);
    const checked: ObjectStoreConnection = {
      ...(connection.endpoint === undefined
        ? {}
        : { endpoint: checkedEndpoint(connection.endpoint, `${what}: --endpoint`) }),
      ...(connection.region === undefined ? {} : { region: connection.region }),
      ...(credentialsFile === undefined ? {} : { credentialsFile }),
    };
    if (credentialsFile !== undefined) readCredentialsFile(credentialsFile, what);
    const dir = await this.datastoresDir(name);
    const stored: StoredDatastore = {
      name,
      path: formatS3Uri({ bucket: location.bucket, key: location.key.replace(/\/+$/, '') }),
      connection: checked,
    };
    await writeJsonAtomic(join(dir, `${name}.json`), stored);
    return stored;
  }

  /** The datastores folder (created), after checking that `name` may be used. */
  private async datastoresDir(name: string): Promise<string> {
    if (name === DEFAULT_DATASTORE_NAME) throw new InputError(`datastore ${name} is built in; choose another name`);
    const problem = assetNameProblem(name, undefined);
    if (problem !== undefined) throw new InputError(`datastore ${problem}`);
    const dir = join(this.root, 'datastores');
    await mkdir(dir, { recursive: true });
    return dir;
  }
}
