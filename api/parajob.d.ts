// src/index.d.ts
/**
 * parajob's package entry point. It exports the TypeScript SDK (src/sdk: build jobs in code, load
 * them from YAML, submit and follow them) and the entry-script contract: the types a JavaScript or
 * TypeScript entry script is written against (src/worker/js/entry-script-contract.ts, where each is
 * documented). An entry script imports types only (`import type`), which loads nothing at run time,
 * or, in TypeScript, `defineEntryScript`, which its compile bundles in place of the package.
 *
 * @example
 * ```ts
 * import type { EntryScriptContext, FileMiniBatch, RunFunction } from 'parajob';
 *
 * export function init(context: EntryScriptContext): void {
 *   context.logger.info(`process ${context.processName} ready`);
 * }
 * export const run: RunFunction<FileMiniBatch> = async (files) => files.map((file) => `${file} ok`);
 * ```
 */
export * from './sdk/index.js';
export { defineEntryScript } from './worker/js/define-entry-script.js';
export type { EntryScript, EntryScriptContext, EntryScriptLogger, FileMiniBatch, InitFunction, JsonValue, MiniBatch, MiniBatchContext, MiniBatchOf, RunContext, RunFunction, RunResult, ShutdownFunction, TableBatch, TableRow, TabularMiniBatch, TypedEntryScript, } from './worker/js/entry-script-contract.js';
export type { ByteRangeItem } from './worker/protocol.js';

// src/sdk/asset-operations.d.ts
import type { ComponentAsset, DataAsset, DatastoreAsset } from '../gen/parajob/v1/parajob.js';
import { type ComponentUpload } from '../jobspec/assets/register.js';
import type { AssetsApi } from '../rpc/assets-client.js';
import { type Component } from './component.js';
/** Options of the assets' `createOrUpdate`. */
export interface CreateAssetOptions {
    /** `--set PATH=VALUE` overrides applied to the file before validation (e.g. `version=3`). */
    readonly sets?: readonly string[];
}
/** Options of `client.components.createOrUpdate`. */
export interface CreateComponentOptions extends CreateAssetOptions {
    /** The name to register under. @default the file's `name`, or the built component's */
    readonly name?: string;
    /** The version. @default the file's `version`, else the next number */
    readonly version?: string;
    /** For a component built in code: where its relative paths (`code`) point from. @default the current folder */
    readonly baseDir?: string;
}
/** Any component, whatever its inputs and outputs (what registration needs of it). */
export type ComponentLike = Pick<Component, 'componentName' | 'componentType'>;
/** How an operation reaches the coordinator's Assets service (the client's call, typed errors). */
export type AssetsCall = <T>(asset: string | undefined, body: (api: AssetsApi) => Promise<T>) => Promise<T>;
/** `client.components`: register, get and list components on the coordinator. */
export declare class ComponentOperations {
    private readonly call;
    /** @internal */
    constructor(call: AssetsCall);
    /**
     * Registers a component with the coordinator: a component file (command, parallel or pipeline
     * component YAML), or a component built in code with `command({...})` or `parallelRunFunction({...})`
     * (as `parajob component create` would register its YAML). Its code folders and every local
     * component file it reaches are sent with it, so the registered version never depends on this
     * machine's files again. Without a `version` (in the file, `sets` or the options), it gets the next
     * number. A ValidationError lists what is wrong; an AssetExistsError says the version is
     * registered already.
     *
     * @example
     * ```ts
     * const prep = command({ name: 'prep', command: 'node prep.mjs', code: './src' });
     * await client.components.createOrUpdate(prep, { version: '1' }); // then `component: azureml:prep:1`
     * ```
     */
    createOrUpdate(component: string | ComponentLike, options?: CreateComponentOptions): Promise<ComponentAsset>;
    /** A registered component: `version` or, when omitted, the latest. AssetNotFoundError when unknown. */
    get(name: string, version?: string): Promise<ComponentAsset>;
    /** The latest version of every registered component, by name. */
    list(): Promise<ComponentAsset[]>;
}
/**
 * What registering `component` sends: a file's bundle, or the bundle of the YAML a component built in
 * code stands for (written to a private folder only to be read back as a file is).
 */
export declare function componentUpload(component: string | ComponentLike, options?: CreateComponentOptions): Promise<ComponentUpload>;
/** `client.data`: register, get and list data assets on the coordinator. */
export declare class DataOperations {
    private readonly call;
    /** @internal */
    constructor(call: AssetsCall);
    /**
     * Registers a data asset file (`name`, `version`, `type`, `path`). A relative `path` resolves
     * against the file's folder, which the coordinator must see (a shared filesystem, as for inputs).
     */
    createOrUpdate(file: string, options?: CreateAssetOptions): Promise<DataAsset>;
    /** A data asset: `version` or, when omitted, the latest. AssetNotFoundError when unknown. */
    get(name: string, version?: string): Promise<DataAsset>;
    /** The latest version of every data asset, by name. */
    list(): Promise<DataAsset[]>;
}
/** A datastore to create: a folder on the coordinator's filesystem, or an S3 prefix. */
export interface DatastoreSpec {
    /** Letters, digits, `_ . -`, starting with a letter; not `workspaceblobstore` (built in). */
    readonly name: string;
    /**
     * A folder on the coordinator's filesystem (made when missing; a relative one is made absolute
     * here, so the coordinator must see this machine's paths). Give this or `s3`.
     */
    readonly path?: string;
    /** `s3://bucket/prefix` in an S3-compatible store the coordinator reaches. */
    readonly s3?: string;
    /** With `s3`: the store's base URL, e.g. `http://127.0.0.1:9000`. @default AWS */
    readonly endpoint?: string;
    /** With `s3`: its region. @default the coordinator's environment, else us-east-1 */
    readonly region?: string;
    /**
     * With `s3`: a credentials file on this machine (`KEY=VALUE` lines with AWS_ACCESS_KEY_ID and
     * AWS_SECRET_ACCESS_KEY). Its text is sent to the coordinator, which keeps it and never sends it
     * back, nor to nodes (they get presigned URLs). @default the coordinator's environment
     */
    readonly credentialsFile?: string;
}
/** `client.datastores`: create, get and list the datastores `azureml://datastores/<name>/paths/…` names. */
export declare class DatastoreOperations {
    private readonly call;
    /** @internal */
    constructor(call: AssetsCall);
    /** Creates (or replaces) a datastore on the coordinator; ValidationError for a bad spec. */
    createOrUpdate(spec: DatastoreSpec): Promise<DatastoreAsset>;
    /** A datastore (without credentials: `hasCredentials` says whether it has its own). AssetNotFoundError when unknown. */
    get(name: string): Promise<DatastoreAsset>;
    /** Every datastore, workspaceblobstore first. */
    list(): Promise<DatastoreAsset[]>;
}

// src/sdk/build-context.d.ts
/**
 * The pipeline being built: a pipeline() function runs synchronously, and every component called
 * while it runs adds its step here (Azure's `@pipeline` works the same way). A stack, so that the
 * error for a component called outside any pipeline is clear.
 */
import type { Step } from './step.js';
/** The steps of one pipeline under construction, in call order. */
export declare class StepCollector {
    readonly steps: Step[];
    /** A free step name: `preferred` itself, else `preferred_2`, `preferred_3`, … */
    freeName(preferred: string): string;
}
/** Runs `body` with `collector` receiving the steps made meanwhile. */
export declare function collectSteps<R>(collector: StepCollector, body: () => R): R;
/** True while a pipeline() function runs (a component called now adds a step to it). */
export declare function isBuildingPipeline(): boolean;
/** The pipeline being built; throws when a component is called outside a pipeline() function. */
export declare function currentCollector(component: string): StepCollector;

// src/sdk/client.d.ts
import type { JobStatus } from '../gen/parajob/v1/parajob.js';
import type { AssetResolver } from '../jobspec/assets/resolver.js';
import type { CompiledJob } from '../jobspec/model.js';
import { AssetsApi } from '../rpc/assets-client.js';
import { JobsApi } from '../rpc/jobs-client.js';
import { ComponentOperations, DataOperations, DatastoreOperations } from './asset-operations.js';
import { type Job } from './job.js';
import { type JobStreamEvent } from './job-events.js';
/** The environment variable naming the coordinator (`host:port`). */
export declare const COORDINATOR_ENV = "PARAJOB_COORDINATOR";
/** The environment variables of the client's token and of the CA to trust (a PEM file, or `sha256:<hash>`). */
export { CA_ENV, TOKEN_ENV } from '../auth/dial.js';
/** The address used when neither the option nor the environment names one. */
export declare const DEFAULT_COORDINATOR_ADDRESS = "127.0.0.1:7070";
/** Options of {@link ParajobClient}; each falls back to its environment variable. */
export interface ParajobClientOptions {
    /**
     * `host:port` of the coordinator, or a comma-separated list (an active coordinator and its
     * standbys: the client uses the one that answers, and looks again after a call finds it gone).
     * @default PARAJOB_COORDINATOR, else 127.0.0.1:7070
     */
    readonly address?: string;
    /** Bearer token (`<id>.<secret>`). @default PARAJOB_TOKEN */
    readonly token?: string;
    /** CA to trust: a PEM file or `sha256:<hash>` of its key. @default PARAJOB_CA */
    readonly ca?: string;
    /** Deadline of every unary call, in milliseconds. @default 30 000 */
    readonly deadlineMs?: number;
    /** Where the defaults are read. @default process.env */
    readonly env?: NodeJS.ProcessEnv;
}
/** Options of {@link JobOperations.createOrUpdate}. */
export interface CreateJobOptions {
    /** Written into the job's YAML as `experiment_name`. */
    readonly experimentName?: string;
    /** Absolute run directory on the coordinator's filesystem; default `<data dir>/runs/<job id>`. */
    readonly runDir?: string;
    /** The job id to use; default: the coordinator makes one. */
    readonly jobId?: string;
    /**
     * Where the local validation looks registered components, data and datastores up.
     * @default the coordinator's registry (client.components, client.data, client.datastores)
     */
    readonly assets?: AssetResolver;
    /** For a YAML file: `--set PATH=VALUE` overrides applied before validation. */
    readonly sets?: readonly string[];
    /** @internal Fault injection for tests (src/chaos/model.ts text form). */
    readonly chaos?: string;
    /** Run every step even when an earlier run could be reused (for a standalone file too, which has no `settings`). */
    readonly forceRerun?: boolean;
}
/** What createOrUpdate resolves to. */
export interface SubmittedJob {
    /** The job's id. */
    readonly jobId: string;
    /** The run directory the coordinator chose. */
    readonly runDir: string;
    /** Warnings of the local validation and of the coordinator's, each once. */
    readonly warnings: readonly string[];
    /** The job as validated locally. */
    readonly compiled: CompiledJob;
}
/** Options of {@link JobOperations.rerun}. */
export interface RerunOptions {
    /**
     * Run every step and every mini-batch again. By default a rerun reuses every step of the earlier job
     * that succeeded, and a parallel step that failed or was cancelled runs only the mini-batches that
     * did not succeed (the rows of those that did are copied into its new output first).
     */
    readonly fromScratch?: boolean;
}
/** What {@link JobOperations.rerun} resolves to. */
export interface RerunJob {
    /** The new job's id. */
    readonly jobId: string;
    /** The new job's run directory. */
    readonly runDir: string;
    /** The job it reruns. */
    readonly rerunOf: string;
    /** The coordinator's warnings about the spec. */
    readonly warnings: readonly string[];
}
/** What {@link JobOperations.delete} resolves to. */
export interface DeletedJob {
    /** The job's id. */
    readonly jobId: string;
    /** The job's run directory. */
    readonly runDir: string;
    /** False when the run directory was left in place (one chosen with --run-dir, outside the data dir). */
    readonly runDirRemoved: boolean;
}
/** Options of {@link JobOperations.wait} and {@link JobOperations.stream}. */
export interface FollowOptions {
    /** Stops following (the job keeps running): wait resolves with the last status, stream ends. */
    readonly signal?: AbortSignal;
    /** Every event while waiting. */
    readonly onEvent?: (event: JobStreamEvent) => void;
    /** Command steps' output as it is written (asks the coordinator to send it): step name, text chunk. */
    readonly onLog?: (stepName: string, text: string) => void;
}
/** `client.jobs`: the operations on jobs. */
export declare class JobOperations {
    private readonly client;
    /** @internal */
    constructor(client: ParajobClient);
    /**
     * Validates the job locally (a ValidationError lists every problem), snapshots its code folders
     * and submits it. `job` is a Job (built in code or from loadJob) or the path of a YAML file.
     */
    createOrUpdate(job: Job | string, options?: CreateJobOptions): Promise<SubmittedJob>;
    /** The job's current status; a JobNotFoundError for an unknown id. */
    get(jobId: string): Promise<JobStatus>;
    /** Every job the coordinator knows. */
    list(): Promise<JobStatus[]>;
    /** Asks the coordinator to cancel the job; resolves with its status right after the request. */
    cancel(jobId: string, reason?: string): Promise<JobStatus>;
    /**
     * Reruns a failed or cancelled job as a new job with the same spec and code (follow it with
     * {@link JobOperations.wait} on the id it resolves to). The new job's status names the job it reruns
     * (`rerunOf`). A JobNotFoundError for an unknown id; a ValidationError when the job is still running,
     * succeeded, or its coordinator keeps no journal.
     *
     * @example
     * ```ts
     * const rerun = await client.jobs.rerun(failedJobId);
     * const final = await client.jobs.wait(rerun.jobId);
     * ```
     */
    rerun(jobId: string, options?: RerunOptions): Promise<RerunJob>;
    /**
     * Deletes an ended job: the coordinator forgets it and removes its run directory (unless one chosen
     * with `runDir` outside its data dir). A ValidationError while it runs or while a rerun of it runs.
     */
    delete(jobId: string): Promise<DeletedJob>;
    /**
     * The job's events until it ends: its status on every change, progress, each step's start and end,
     * and the coordinator's lines about it. A watch cut short (coordinator restart) is re-opened.
     */
    stream(jobId: string, options?: Pick<FollowOptions, 'signal'>): AsyncGenerator<JobStreamEvent>;
    /** Resolves with the job's final status (or the last one seen when `signal` aborted). */
    wait(jobId: string, options?: FollowOptions): Promise<JobStatus>;
}
/**
 * A client of one coordinator. `close()` it when done: an open channel keeps the process alive.
 *
 * Credentials: `token` (or PARAJOB_TOKEN) is sent as a bearer token on every call; `ca` (or
 * PARAJOB_CA) switches the channel to TLS, trusting either a CA's PEM file or, given as
 * `sha256:<hex>`, the CA whose public key has that hash (learned from the server on first dial,
 * as `parajob node --ca-hash` does). Neither: plaintext with no token, what a loopback coordinator
 * without `--require-auth` accepts.
 *
 * @example
 * ```ts
 * const client = new ParajobClient({ address: '127.0.0.1:7070' });
 * const { jobId } = await client.jobs.createOrUpdate(job, { experimentName: 'samples' });
 * for await (const event of client.jobs.stream(jobId)) if (event.type === 'stepEnded') console.log(event.step.name);
 * client.close();
 * ```
 */
export declare class ParajobClient {
    /** `host:port` of the coordinator (or the list of them given). */
    readonly address: string;
    /** The bearer token given or found in PARAJOB_TOKEN (see the class comment). */
    readonly token: string | undefined;
    /** The CA given or found in PARAJOB_CA (see the class comment). */
    readonly ca: string | undefined;
    /** Submit, get, list, cancel, rerun, delete, stream and wait for jobs. */
    readonly jobs: JobOperations;
    /** Register, get and list components on the coordinator. */
    readonly components: ComponentOperations;
    /** Register, get and list data assets on the coordinator. */
    readonly data: DataOperations;
    /** Create, get and list datastores on the coordinator (their credentials never come back). */
    readonly datastores: DatastoreOperations;
    /** Resolve once the credentials are ready (a pinned CA is learned over the network). */
    private api;
    private assetsApi;
    private readonly connect;
    constructor(options?: ParajobClientOptions);
    /** Closes the channels. */
    close(): void;
    /**
     * @internal Runs `prepare` with `assets`, or else with the coordinator's registry (fetching what
     * the validation asks for, src/sdk/coordinator-assets.ts), telling it which code folders the
     * coordinator holds.
     */
    withAssets<T>(assets: AssetResolver | undefined, prepare: (assets: AssetResolver | undefined, coordinatorCode?: (folder: string) => boolean) => Promise<T>): Promise<T>;
    /** @internal Runs one Assets call, turning gRPC errors into the SDK's typed errors. */
    callAssets<T>(asset: string | undefined, body: (api: AssetsApi) => Promise<T>): Promise<T>;
    /** @internal Runs one call, turning gRPC errors into the SDK's typed errors. */
    call<T>(jobId: string | undefined, body: (api: JobsApi) => Promise<T>): Promise<T>;
    /**
     * With several addresses, a call that found its coordinator gone makes the next call look for the
     * active one again (a standby took over). The failed call is not retried: it may have reached the
     * old one (a submission made twice is worse than one reported failed).
     */
    private lookAgainIfGone;
}

// src/sdk/component-document.d.ts
import type { CodeBuiltComponent } from './component.js';
/** Name, version and base folder of a component registered from code. */
export interface ComponentDocumentOptions {
    /** @default the component's own name */
    readonly name?: string;
    /** @default the next number after the registered ones */
    readonly version?: string;
    /** Where relative paths point from. @default the current folder */
    readonly baseDir?: string;
}
/**
 * An input declaration: an `Input({...})`, or a literal default (its type from its value). A relative
 * `path` is made absolute against `baseDir`, or kept as written without one.
 */
export declare function inputDeclaration(declared: unknown, baseDir?: string): Record<string, unknown>;
/** The component YAML document of a component built in code (see the module comment). */
export declare function componentDocument(built: CodeBuiltComponent, options?: ComponentDocumentOptions): Record<string, unknown>;

// src/sdk/component.d.ts
import { type DataType, type DataValue, Input, type InputType, type Output, type PrimitiveArg, type PrimitiveType } from './io.js';
import { Step, type StepOutput, type StepTemplate } from './step.js';
/** A declared input of a component built in code: an `Input({...})`, or a literal default value. */
export type InputDeclaration = Input | string | number | boolean;
/** What a step input declared as `D` may be given. */
export type InputArg<D> = D extends Input<infer T, boolean> ? T extends DataType ? DataValue : T extends PrimitiveType ? PrimitiveArg<T> : never : D extends number ? PrimitiveArg<'number'> : D extends string ? PrimitiveArg<'string'> : D extends boolean ? PrimitiveArg<'boolean'> : never;
/** The names of the inputs of `I` that must be given (no path, no default, not optional). */
export type RequiredInputs<I> = {
    [K in keyof I]-?: I[K] extends Input<InputType, false> ? K : never;
}[keyof I];
/** The inputs object a component declared with inputs `I` is called with. */
export type ComponentArgs<I> = {
    [K in RequiredInputs<I>]: InputArg<I[K]>;
} & {
    [K in Exclude<keyof I, RequiredInputs<I>>]?: InputArg<I[K]>;
};
/** The outputs of a step made from a component declared with outputs `O`. */
export type StepOutputs<O> = {
    [K in keyof O]: StepOutput<O[K] extends Output<infer T> ? T : DataType>;
};
/** Options of a component call. */
export interface StepOptions {
    /**
     * The step's name (its key under `jobs`). JavaScript cannot read variable names, so name steps
     * here; default: the component's name, then `<name>_2`, `<name>_3`, …
     */
    readonly name?: string;
}
/** The arguments of a component call: the inputs object is optional when no input is required. */
export type ComponentCallArgs<I> = [RequiredInputs<I>] extends [never] ? [inputs?: ComponentArgs<I>, options?: StepOptions] : [inputs: ComponentArgs<I>, options?: StepOptions];
/** A component: call it inside a pipeline() function to add a step. */
export interface Component<I = Record<string, InputDeclaration>, O = Record<string, Output>> {
    (...args: ComponentCallArgs<I>): Step<StepOutputs<O>>;
    /** The component's name (the default step name). */
    readonly componentName: string;
    /** The kind of step it makes: `type` of the step's YAML. */
    readonly componentType: 'command' | 'parallel' | 'pipeline';
}
/** What a component built in code was made of, for registering it (component-document.ts). */
export interface CodeBuiltComponent {
    /** The component's name: the default step name. */
    readonly name: string;
    readonly type: 'command' | 'parallel';
    readonly template: StepTemplate;
}
/** @internal What `component` was built from, or undefined for one loaded from a file. */
export declare function codeBuiltComponentOf(component: object): CodeBuiltComponent | undefined;
/** @internal A component: calling it inside a pipeline() function adds a step made from `template`. */
export declare function makeComponent<I, O>(componentName: string, componentType: Component['componentType'], template: StepTemplate): Component<I, O>;
/** Options of {@link command}: Azure's command job/component keys, camelCased. */
export interface CommandOptions<I, O> {
    /** The component's name: the default step name. */
    readonly name: string;
    /** Shown instead of the name. */
    readonly displayName?: string;
    /** What the component does. */
    readonly description?: string;
    /** Runs with `/bin/sh -c`; `${{inputs.x}}` and `${{outputs.y}}` are replaced by values and paths. */
    readonly command: string;
    /** Code folder (relative to the job's base folder), copied as the command's working directory. */
    readonly code?: string;
    /** Accepted for Azure; parajob runs the node's own environment (and warns). */
    readonly environment?: unknown;
    /** Set in the step's processes. */
    readonly environmentVariables?: Readonly<Record<string, string>>;
    /** Declared inputs: `Input({...})`, or literal defaults. */
    readonly inputs?: I;
    /** Declared outputs: `Output({...})`. */
    readonly outputs?: O;
    /** Compute pool (`azureml:` optional); default: the pipeline's `defaultCompute`. */
    readonly compute?: string;
    /** `instanceCount`: a command step runs on one node. */
    readonly resources?: {
        readonly instanceCount?: number;
    };
    /** `limits.timeout`: whole seconds before the command's process tree is killed. */
    readonly limits?: {
        readonly timeout?: number;
    };
    /** false: never reused. @default true */
    readonly isDeterministic?: boolean;
}
/**
 * A command step's component: `command({name, command, code, inputs, outputs, ...})` (Azure's
 * `command()`). Call it inside a pipeline with its inputs to add an inline command step.
 *
 * @example
 * ```ts
 * const prep = command({
 *   name: 'prepare',
 *   command: 'node prep.mjs --out ${{outputs.files}}',
 *   code: './src',
 *   outputs: { files: Output({ type: 'uri_folder' }) },
 * });
 * ```
 */
export declare function command<const I extends Readonly<Record<string, InputDeclaration>> = Record<never, InputDeclaration>, const O extends Readonly<Record<string, Output>> = Record<never, Output>>(options: CommandOptions<I, O>): Component<I, O>;
/** `task` of {@link parallelRunFunction}: the entry script and how it is called. */
export interface RunFunctionTask {
    /** Code folder (relative to the job's base folder). @default the job's base folder */
    readonly code?: string;
    /** Entry script, relative to `code`: `.js`, `.mjs`, `.ts`, `.mts` or `.py`. */
    readonly entryScript: string;
    /** The script's own arguments; `${{inputs.x}}` / `${{outputs.y}}` are replaced. */
    readonly programArguments?: string;
    /** `${{outputs.y}}`: run()'s rows are appended to that output; default: summary only. */
    readonly appendRowTo?: string;
    /** Accepted for Azure; parajob runs the node's own environment (and warns). */
    readonly environment?: unknown;
}
/** Options of {@link parallelRunFunction}: Azure's `parallel_run_function` keywords, camelCased. */
export interface ParallelRunFunctionOptions<I, O> {
    /** The component's name: the default step name. */
    readonly name: string;
    /** Shown instead of the name. */
    readonly displayName?: string;
    /** What the component does. */
    readonly description?: string;
    /** Declared inputs: `Input({...})`, or literal defaults. */
    readonly inputs?: I;
    /** Declared outputs: `Output({...})`. */
    readonly outputs?: O;
    /** `${{inputs.x}}`: the input split into mini-batches. */
    readonly inputData: string;
    /** Nodes. @default 1 */
    readonly instanceCount?: number;
    /** Processes per node. @default the node's core count */
    readonly maxConcurrencyPerInstance?: number;
    /** Files per mini-batch (`10`), bytes (`'1mb'`) or rows (`'500 rows'`) for tables. */
    readonly miniBatchSize?: number | string;
    /** Table columns: one mini-batch per distinct key tuple. */
    readonly partitionKeys?: readonly string[];
    /** Failed mini-batches allowed; -1 ignores all. @default -1 */
    readonly miniBatchErrorThreshold?: number;
    /** Failed items allowed; -1 ignores all. @default -1 */
    readonly errorThreshold?: number;
    /** `maxRetries` after the first try; `timeout` in whole seconds per run() call. */
    readonly retrySettings?: {
        readonly maxRetries?: number;
        readonly timeout?: number;
    };
    /** Lowest level of `context.logger` lines written. @default 'INFO' */
    readonly loggingLevel?: 'DEBUG' | 'INFO' | 'WARNING';
    /** Set in the step's processes. */
    readonly environmentVariables?: Readonly<Record<string, string>>;
    /** Accepted for Azure; parajob runs the node's own environment (and warns). */
    readonly environment?: unknown;
    /** Compute pool (`azureml:` optional); default: the pipeline's `defaultCompute`. */
    readonly compute?: string;
    /** false: never reused. @default true */
    readonly isDeterministic?: boolean;
    /** The entry script and how it is called. */
    readonly task: RunFunctionTask;
}
/**
 * A parallel step's component (Azure's `parallel_run_function`): an entry script run over the
 * mini-batches of `inputData`. Call it inside a pipeline with its inputs to add an inline parallel step.
 */
export declare function parallelRunFunction<const I extends Readonly<Record<string, InputDeclaration>> = Record<never, InputDeclaration>, const O extends Readonly<Record<string, Output>> = Record<never, Output>>(options: ParallelRunFunctionOptions<I, O>): Component<I, O>;
/**
 * Loads a component file (`type: command`, `parallel` or `pipeline`): the step it makes says
 * `component: <file>`, so the compiler checks the component in its own file, with its own lines.
 * A relative `path` resolves against the current folder. Type parameters may name the inputs and
 * outputs for the type checker; by default any name is accepted and checked at build.
 */
export declare function loadComponent<I = Record<string, InputDeclaration>, O = Record<string, Output>>(path: string | URL): Component<I, O>;

// src/sdk/coordinator-assets.d.ts
import { type AssetReference, type AssetResolver, type Lookup, type RegisteredComponent, type RegisteredData } from '../jobspec/assets/resolver.js';
import type { AssetsApi } from '../rpc/assets-client.js';
import type { ObjectStoreConnection } from '../storage/s3-settings.js';
/** An AssetResolver over one coordinator's registry (see the module comment). */
export declare class CoordinatorAssets implements AssetResolver {
    private readonly api;
    private readonly known;
    private readonly wanted;
    private cache;
    /** @param api the coordinator's Assets service. */
    constructor(api: AssetsApi);
    /** The component as fetched, or a miss recorded for the next round of {@link compile}. */
    component(reference: AssetReference): Lookup<RegisteredComponent>;
    /** The data asset as fetched, or a miss recorded for the next round of {@link compile}. */
    data(reference: AssetReference): Lookup<RegisteredData>;
    /** The datastore's folder or S3 prefix on the coordinator, or a miss recorded for the next round. */
    datastore(name: string): Lookup<string>;
    /** How the coordinator reaches an object-storage datastore, without its credentials. */
    datastoreConnection(name: string): ObjectStoreConnection | undefined;
    /** True for a code folder of a component fetched into the cache: the coordinator holds it already. */
    isCachedCode(folder: string): boolean;
    /**
     * Compiles with this resolver, fetching what each round asked for, until a round asks for nothing
     * new: its result, or the error of the last round.
     */
    compile<T>(body: (assets: AssetResolver) => Promise<T>): Promise<T>;
    /** Removes the cache folder. */
    close(): void;
    private lookup;
    private fetch;
    /** Fetches every reference asked for and not yet known; false when there was none. */
    private fetchWanted;
    private fetchComponent;
    private fetchDatastore;
    private fetchData;
}

// src/sdk/errors.d.ts
import { ParajobError, type SpecError, SpecErrors } from '../errors.js';
/**
 * The job is invalid: the YAML validator's diagnostics, one per problem, each
 * `file:line:col: key.path: what is wrong` (the same lines `parajob job validate` prints). A
 * SpecErrors, so code that handles those handles this too; `errors` is empty when the coordinator
 * (not the local compiler) refused the job, and `diagnostics` always holds the lines.
 */
export declare class ValidationError extends SpecErrors {
    readonly name: string;
    /** One line per problem. */
    readonly diagnostics: readonly string[];
    constructor(errors: readonly SpecError[], diagnostics?: readonly string[]);
}
/** A SpecErrors of the compiler as the SDK's ValidationError (the same diagnostics); anything else as it is. */
export declare function asValidationError(error: unknown): unknown;
/** No job with that id is known to the coordinator. */
export declare class JobNotFoundError extends ParajobError {
    readonly jobId: string;
    readonly name = "JobNotFoundError";
    constructor(jobId: string, detail: string);
}
/** No registered component or data asset has that name (or that version). */
export declare class AssetNotFoundError extends ParajobError {
    /** `NAME:VERSION` or `NAME@latest`. */
    readonly asset: string;
    readonly name = "AssetNotFoundError";
    constructor(
    /** `NAME:VERSION` or `NAME@latest`. */
    asset: string, detail: string);
}
/** That version of the asset is registered already: registered versions never change; give another. */
export declare class AssetExistsError extends ParajobError {
    readonly name = "AssetExistsError";
}
/** The coordinator cannot be reached (nothing listens, or the connection failed or timed out). */
export declare class UnavailableError extends ParajobError {
    readonly address: string;
    readonly name = "UnavailableError";
    constructor(address: string, detail: string);
}
/** The coordinator refused the call's credentials (no token, a wrong one, or a role that may not). */
export declare class UnauthenticatedError extends ParajobError {
    readonly address: string;
    readonly name = "UnauthenticatedError";
    constructor(address: string, detail: string);
}
/** The SDK error for a failed gRPC call; anything else is returned as it is. */
export declare function toSdkError(error: unknown, context: {
    address: string;
    jobId?: string;
    asset?: string;
}): unknown;

// src/sdk/event-queue.d.ts
/**
 * A push-to-pull bridge: callbacks push values, one consumer pulls them with `for await`. Values are
 * kept in order until pulled; `end()` finishes the iteration after them, `fail(error)` throws there.
 */
export declare class EventQueue<T> implements AsyncIterable<T> {
    private readonly values;
    private finished;
    private failure;
    private wake;
    push(...values: T[]): void;
    end(): void;
    fail(error: unknown): void;
    [Symbol.asyncIterator](): AsyncIterator<T>;
    private notify;
}

// src/sdk/follow-job.d.ts
import type { JobMessage, JobStatus } from '../gen/parajob/v1/parajob.js';
import { type JobsApi } from '../rpc/jobs-client.js';
/** What follows a job's progress (the CLI's progress display, or a caller's callbacks). */
export interface FollowDisplay {
    /** A new status of the job (called on every change). */
    update(status: JobStatus): void;
    /** A message worth the user's attention. */
    message(message: JobMessage): void;
}
/** Options of followJob. */
export interface FollowJobOptions {
    /** Where progress goes; undefined: nowhere. */
    readonly display?: FollowDisplay;
    /** Stops following (the job itself is not touched); the last status seen is returned. */
    readonly signal?: AbortSignal;
    /** Times a watch that ended early is re-opened before giving up. @default 5 */
    readonly maxReconnects?: number;
    /** Receives command steps' output as it is written (asks the coordinator for it). */
    readonly onLog?: (stepName: string, text: string) => void;
}
/**
 * Resolves with the job's terminal status, or with the last status seen when `signal` aborted.
 * Rejects when the job is unknown or the coordinator stays unreachable.
 */
export declare function followJob(api: Pick<JobsApi, 'watch' | 'get'>, jobId: string, options?: FollowJobOptions): Promise<JobStatus>;

// src/sdk/index.d.ts
/**
 * The TypeScript SDK: build jobs in code (the same YAML documents the CLI reads, compiled by the one
 * compiler), load them from YAML, and submit and follow them through a coordinator.
 */
export type { AssetDocument, CodeFile, CodeSnapshot, ComponentAsset, DataAsset, DatastoreAsset, JobMessage, JobStatus, OutputLocation, Progress, StepStatus, } from '../gen/parajob/v1/parajob.js';
export { FailureKind, JobState, StepState } from '../gen/parajob/v1/parajob.js';
export type { AssetsCall, ComponentLike, CreateAssetOptions, CreateComponentOptions, DatastoreSpec, } from './asset-operations.js';
export { ComponentOperations, DataOperations, DatastoreOperations } from './asset-operations.js';
export type { CreateJobOptions, DeletedJob, FollowOptions, ParajobClientOptions, RerunJob, RerunOptions, SubmittedJob, } from './client.js';
export { CA_ENV, COORDINATOR_ENV, DEFAULT_COORDINATOR_ADDRESS, JobOperations, ParajobClient, TOKEN_ENV, } from './client.js';
export type { CommandOptions, Component, ComponentArgs, ComponentCallArgs, InputArg, InputDeclaration, ParallelRunFunctionOptions, RequiredInputs, RunFunctionTask, StepOptions, StepOutputs, } from './component.js';
export { command, loadComponent, parallelRunFunction } from './component.js';
export { AssetExistsError, AssetNotFoundError, JobNotFoundError, UnauthenticatedError, UnavailableError, ValidationError, } from './errors.js';
export type { DataInputOptions, DataType, DataValue, InputMode, InputOptions, InputType, InputValue, OutputMode, OutputOptions, PrimitiveArg, PrimitiveInputOptions, PrimitiveType, PrimitiveValue, StepInputOverride, StepOutputOverride, StepOutputRef, } from './io.js';
export { Input, Output, PipelineInput } from './io.js';
export type { CompileJobOptions, JobSource } from './job.js';
export { Job, loadJob, PROVISIONAL_RUN_DIR } from './job.js';
export type { JobStreamEvent } from './job-events.js';
export { isTerminal } from './job-state.js';
export type { PipelineArg, PipelineArgs, PipelineOptions, PipelineOutput, PipelineReturn, PipelineSettings, } from './pipeline.js';
export { pipeline, PipelineJob } from './pipeline.js';
export type { DeclaredInputType, PipelineComponentInputs, PipelineComponentOptions, PipelineComponentOutputs, } from './pipeline-component.js';
export { pipelineComponent } from './pipeline-component.js';
export type { LocalRun, RunLocalOptions } from './run-local.js';
export { runLocal } from './run-local.js';
export type { StepOverrides } from './step.js';
export { Step, StepInput, StepOutput } from './step.js';

// src/sdk/io.d.ts
/**
 * Inputs and outputs of jobs built in code, shaped like Azure ML's Python SDK (`Input(type=…)`,
 * `Output(type=…)`) with TypeScript naming, and the references that wire steps together: a
 * pipeline's inputs (`${{parent.inputs.x}}`) and a step's outputs (`${{parent.jobs.s.outputs.o}}`).
 * They are plain data: the builders turn them into the YAML the one compiler (src/jobspec) reads.
 */
/** The data types parajob runs: a folder of files, one file, or an MLTable folder/file. */
export type DataType = 'uri_folder' | 'uri_file' | 'mltable';
/** The literal (primitive) input types. */
export type PrimitiveType = 'string' | 'number' | 'integer' | 'boolean';
/** Any input type. */
export type InputType = DataType | PrimitiveType;
/** How a data input reaches the step (Azure's modes; `ro_mount` by default). */
export type InputMode = 'ro_mount' | 'download' | 'direct' | 'eval_mount' | 'eval_download';
/** How an output is written (Azure's modes; parajob always writes in place and warns about `mode`). */
export type OutputMode = 'rw_mount' | 'upload' | 'direct';
/** The TypeScript value of a primitive input type: `integer` and `number` are numbers. */
export type PrimitiveValue<T extends PrimitiveType> = T extends 'boolean' ? boolean : T extends 'string' ? string : number;
/** Options of a data input: `{type, path, mode}`. A `path` makes it a value, not only a declaration. */
export interface DataInputOptions<T extends DataType = DataType> {
    /** The input's (or output's) type. */
    readonly type: T;
    /** Local path (relative to the job's base folder), `azureml:DATA:VERSION` or a datastore path. */
    readonly path?: string;
    /** @default 'ro_mount' */
    readonly mode?: InputMode;
    /** An optional input may be left unset. @default false */
    readonly optional?: boolean;
    /** What it is, for people reading the YAML. */
    readonly description?: string;
}
/** Options of a literal input: `{type, default, optional}`. A default makes it optional. */
export interface PrimitiveInputOptions<T extends PrimitiveType = PrimitiveType> {
    /** The input's (or output's) type. */
    readonly type: T;
    /** The value when none is given; makes the input optional. */
    readonly default?: PrimitiveValue<T>;
    /** @default false */
    readonly optional?: boolean;
    /** What it is, for people reading the YAML. */
    readonly description?: string;
    /** Literal inputs have no path or mode. */
    readonly path?: never;
    /** Literal inputs have no mode. */
    readonly mode?: never;
}
/** What `Input()` accepts: one of the data or literal option shapes, told apart by `type`. */
export type InputOptions = DataInputOptions | {
    [T in PrimitiveType]: PrimitiveInputOptions<T>;
}[PrimitiveType];
/**
 * A declared input (`Input({type: 'mltable'})`) or an input value (`Input({type, path, mode})`).
 * `HasValue` is true when it may be left unset where it is used (a path, a default, or optional).
 */
export interface Input<T extends InputType = InputType, HasValue extends boolean = boolean> {
    readonly kind: 'input';
    /** The input's (or output's) type. */
    readonly type: T;
    readonly path?: string | undefined;
    readonly mode?: InputMode | undefined;
    readonly default?: string | number | boolean | undefined;
    readonly optional?: boolean | undefined;
    readonly description?: string | undefined;
    /** Type-level only: whether it may be left unset. */
    readonly hasValue?: HasValue;
}
/** Whether options `O` give the input a value or make it optional. */
type HasValueOf<O> = O extends {
    readonly optional: true;
} | {
    readonly default: unknown;
} | {
    readonly path: string;
} ? true : false;
/**
 * Declares an input, or gives one a value: `Input({type: 'uri_folder', path: './data', mode: 'download'})`,
 * `Input({type: 'integer', default: 10})`. Types are checked by TypeScript (a `default` of the wrong
 * type, a data `mode` on a literal); paths are checked when the job is compiled.
 */
export declare function Input<const O extends InputOptions>(options: O): Input<O['type'], HasValueOf<O>>;
/** Options of an output: `{type, path, mode}` (Azure's `name`/`version` are not supported). */
export interface OutputOptions<T extends DataType = DataType> {
    /** @default 'uri_folder' */
    readonly type?: T;
    /** Local path or `azureml://datastores/<ds>/paths/<p>`; default: under the step's run directory. */
    readonly path?: string;
    /** How it is written (Azure-only: parajob writes in place, and warns). */
    readonly mode?: OutputMode;
    /** What it is, for people reading the YAML. */
    readonly description?: string;
}
/** A declared output of a component or step. */
export interface Output<T extends DataType = DataType> {
    readonly kind: 'output';
    /** The input's (or output's) type. */
    readonly type: T;
    readonly path?: string | undefined;
    readonly mode?: OutputMode | undefined;
    readonly description?: string | undefined;
}
/** Declares an output: `Output({type: 'uri_file'})`. Without `type`, a folder (`uri_folder`). */
export declare function Output<const T extends DataType = 'uri_folder'>(options?: OutputOptions<T>): Output<T>;
/**
 * One of a pipeline's inputs, as its function receives it; pass it to a step's input to bind it
 * (`${{parent.inputs.<name>}}`).
 */
export declare class PipelineInput<T extends InputType = InputType> {
    readonly name: string;
    readonly type: T | undefined;
    /** @internal */
    constructor(name: string, type: T | undefined);
    /** The binding expression the YAML holds. */
    toBinding(): string;
}
/** The output of a step: pass it to another step's input (a DAG edge), or return it from the pipeline. */
export interface StepOutputRef {
    /** The output's name in its step. */
    readonly name: string;
    /** The binding expression the YAML holds, under the step's current name. */
    toBinding(): string;
}
/** A value for a data input: a pipeline input, a step's output, or an `Input({type, path})`. */
export type DataValue = PipelineInput<DataType> | PipelineInput<never> | StepOutputRef | Input<DataType, true>;
/** A value for a literal input: the literal itself or a literal pipeline input. */
export type PrimitiveArg<T extends PrimitiveType> = PrimitiveValue<T> | PipelineInput<T> | PipelineInput<never>;
/** Anything a step input may be given. */
export type InputValue = string | number | boolean | DataValue | PipelineInput;
/** Node-level overrides of one step input (`step.inputs.x.mode = 'direct'`). */
export interface StepInputOverride {
    /** Overrides the declared data type. */
    type?: DataType;
    /** Overrides how the input is read. */
    mode?: InputMode;
}
/** Node-level overrides of one step output (`step.outputs.x.type = 'mltable'`). */
export interface StepOutputOverride {
    /** Overrides the declared data type. */
    type?: DataType;
    /** Overrides how the output is written (Azure-only: parajob writes in place, and warns). */
    mode?: OutputMode;
    /** Where the output goes; default: under the step's run directory. */
    path?: string;
}
/** True for what `Input()` returns. */
export declare function isInput(value: unknown): value is Input;
/** True for what `Output()` returns. */
export declare function isOutput(value: unknown): value is Output;
/** True for uri_folder, uri_file and mltable. */
export declare function isDataType(type: unknown): type is DataType;
export {};

// src/sdk/job-events.d.ts
/**
 * The typed events `client.jobs.stream(id)` yields, derived from the coordinator's `Jobs.Watch`
 * stream (a JobStatus on every change, and messages) by one pure function, so the rules are
 * testable without a coordinator: a step has started when it is first seen past "unspecified", and
 * ended when first seen in a terminal state (a step seen ended at once yields both, in order).
 */
import type { JobMessage, JobStatus, Progress, StepStatus } from '../gen/parajob/v1/parajob.js';
/** One event of a job's stream. Switch on `type`. */
export type JobStreamEvent = 
/** The job's whole status, on every change (the last one is terminal). */
{
    readonly type: 'status';
    readonly status: JobStatus;
}
/** The job's counts changed (mini-batches, items, rate, ETA, nodes). */
 | {
    readonly type: 'progress';
    readonly progress: Progress;
}
/** A step began (its first state past unspecified). */
 | {
    readonly type: 'stepStarted';
    readonly step: StepStatus;
}
/** A step reached succeeded, failed or cancelled. */
 | {
    readonly type: 'stepEnded';
    readonly step: StepStatus;
}
/** A line from the coordinator about the job (level `info`, `warn` or `error`). */
 | {
    readonly type: 'log';
    readonly level: string;
    readonly text: string;
    readonly atMs: number;
};
/** What statusEvents remembers between statuses. */
export interface StreamMemory {
    readonly progress: Progress | undefined;
    /** Steps seen started, and seen ended. */
    readonly started: ReadonlySet<string>;
    readonly ended: ReadonlySet<string>;
}
/** The memory before the first status. */
export declare const EMPTY_MEMORY: StreamMemory;
/** The events one new status gives after `memory`, and the memory after it. */
export declare function statusEvents(memory: StreamMemory, status: JobStatus): {
    events: JobStreamEvent[];
    memory: StreamMemory;
};
/** A coordinator message as a log event. */
export declare function messageEvent(message: JobMessage): JobStreamEvent;

// src/sdk/job-state.d.ts
/** Small questions about a job's state that every client asks. */
import { JobState } from '../gen/parajob/v1/parajob.js';
/** True for succeeded, failed and cancelled: the job will not change any more. */
export declare function isTerminal(state: JobState): boolean;

// src/sdk/job.d.ts
import type { AssetResolver } from '../jobspec/assets/resolver.js';
import type { CompiledJob } from '../jobspec/model.js';
/**
 * The run directory used to compile a job only to validate it, when no real one is known yet:
 * default output paths depend on it, and nothing is written there.
 */
export declare const PROVISIONAL_RUN_DIR: string;
/**
 * A job document as YAML text: no line folding (long commands stay on one line), and no anchors and
 * aliases (a component used by two steps is written out at each).
 */
export declare function yamlText(document: Record<string, unknown>): string;
/** Options of {@link Job.compile}. */
export interface CompileJobOptions {
    /** Absolute run directory the model's default paths go under. @default PROVISIONAL_RUN_DIR */
    readonly runDir?: string;
    /** Registered components, data assets and datastores (`azureml:` references). @default none */
    readonly assets?: AssetResolver;
}
/** Where a job's document came from. */
export interface JobSource {
    /**
     * Absolute path the YAML stands for: the file it was loaded from, or (for a job built in code) a
     * file name in the base folder, so that relative paths resolve as they would from a YAML file there.
     */
    readonly specPath: string;
    /** How errors name a job built in code (its virtual `specPath` is no file); undefined: loaded. */
    readonly builtInCode?: string;
    /** The file's text, for a loaded job: compiled as it is, so errors give the file's own lines. */
    readonly text?: string;
}
/**
 * A job: the YAML document plus where it came from. `toYaml()` is valid Azure CLI v2 YAML; writing it
 * into the job's base folder and loading it again gives the same model.
 */
export declare class Job {
    private readonly makeDocument;
    readonly source: JobSource;
    /** @internal */
    constructor(makeDocument: () => Record<string, unknown>, source: JobSource);
    /** The folder relative paths in the job resolve against. */
    get baseDir(): string;
    /** The job's plain YAML document (a fresh copy each time: node overrides made since are in it). */
    toDocument(): Record<string, unknown>;
    /** The job as Azure CLI v2 YAML text. */
    toYaml(): string;
    /**
     * Validates and compiles the job with the one compiler. Throws a ValidationError with every
     * problem found; for a job built in code, problems in it name the pipeline and key path (its
     * YAML has no lines of the user's), problems in component files their file and line.
     */
    compile(options?: CompileJobOptions): CompiledJob;
}
/**
 * Loads a job YAML file (a pipeline, or a standalone parallel or command job) and validates it with
 * the one compiler; throws a ValidationError naming the file, key path and line of every problem.
 */
export declare function loadJob(path: string, options?: CompileJobOptions): Promise<Job>;

// src/sdk/pipeline-component.d.ts
/**
 * `pipelineComponent(options, (inputs) => outputs)`: a pipeline built in code that other pipelines
 * use as a step, as Azure's `@pipeline` function called inside another one. Its function runs once,
 * when it is defined, collecting its steps; the component is then the pipeline component YAML
 * (`type: pipeline` with typed `inputs`, `outputs` and `jobs`), and calling it inside a pipeline()
 * function adds a `type: pipeline` step with that component inline. The one compiler (src/jobspec)
 * compiles it as it compiles a step with `component: ./x.yml`: its steps become `<step>/<inner step>`.
 */
import type { Component, InputDeclaration } from './component.js';
import type { DataType, Input, Output } from './io.js';
import { PipelineInput } from './io.js';
import { type PipelineReturn } from './pipeline.js';
import { type StepOutput } from './step.js';
/** Options of {@link pipelineComponent}: the pipeline component YAML's keys, camelCased. */
export interface PipelineComponentOptions<I> {
    /** The component's name: the default name of the steps made from it. */
    readonly name: string;
    /** Shown instead of the name. */
    readonly displayName?: string;
    /** What the component does. */
    readonly description?: string;
    /**
     * The component's inputs: `Input({...})` declarations, or literal defaults. Their relative paths,
     * and those of the steps inside, resolve against the folder of the pipeline that uses it (as an
     * inline component's do in YAML).
     */
    readonly inputs?: I;
}
/**
 * The type of the pipeline input a declaration gives the component's function. A plain number
 * default may be an integer or a number, so its input is untyped (`never`: accepted by any step
 * input, and checked when the pipeline is built); declare `Input({type: 'integer', default: 3})` to type it.
 */
export type DeclaredInputType<D> = D extends Input<infer T, boolean> ? T : D extends string ? 'string' : D extends boolean ? 'boolean' : never;
/** The inputs a pipeline component's function receives: one PipelineInput per declared input. */
export type PipelineComponentInputs<I> = {
    [K in keyof I]: PipelineInput<DeclaredInputType<I[K]>>;
};
/** The outputs of a pipeline component whose function returns `R`, declared with their types. */
export type PipelineComponentOutputs<R> = {
    [K in keyof R]: Output<R[K] extends StepOutput<infer T> ? T : DataType>;
};
/**
 * Defines a pipeline component: `body` receives the declared inputs (one {@link PipelineInput}
 * each), calls components to add its steps, and returns the step outputs that become the
 * component's outputs. Call the result inside a {@link pipeline} function, like any component, to
 * add a `type: pipeline` step whose outputs feed the steps after it. Mistakes inside are reported
 * when the pipeline that uses it is built, with the YAML validator's messages.
 *
 * @example
 * ```ts
 * const trainAndScore = pipelineComponent(
 *   { name: 'train_and_score', inputs: { data: Input({ type: 'uri_folder' }), epochs: 3 } },
 *   ({ data, epochs }) => {
 *     const model = train({ training_data: data, max_epochs: epochs }).outputs.model_output;
 *     return { scores: score({ files: model }).outputs.scores };
 *   },
 * );
 * const outer = pipeline({ name: 'outer' }, ({ data }: { data: PipelineInput<'uri_folder'> }) => ({
 *   final: trainAndScore({ data }, { name: 'again' }).outputs.scores,
 * }));
 * ```
 */
export declare function pipelineComponent<const I extends Readonly<Record<string, InputDeclaration>> = Record<never, InputDeclaration>, R extends PipelineReturn = PipelineReturn>(options: PipelineComponentOptions<I>, body: (inputs: PipelineComponentInputs<I>) => R): Component<I, PipelineComponentOutputs<R>>;

// src/sdk/pipeline.d.ts
import { type DataType, type Input, type InputType, type OutputMode, PipelineInput, type PrimitiveType, type PrimitiveValue } from './io.js';
import { Job } from './job.js';
import { type Step, StepOutput } from './step.js';
/** Pipeline `settings`, camelCased (mutable on the job: `job.settings.defaultCompute = 'gpu'`). */
export interface PipelineSettings {
    /** Compute pool of every step without its own `compute`. */
    defaultCompute?: string;
    /** Datastore outputs go to (`azureml:` optional). @default 'workspaceblobstore' */
    defaultDatastore?: string;
    /** false: the first failed step cancels the rest. @default true */
    continueOnStepFailure?: boolean;
    /** true: no step is reused. @default false */
    forceRerun?: boolean;
}
/** Options of {@link pipeline}. */
export interface PipelineOptions extends PipelineSettings {
    /** The pipeline's name (the job name); also the name of the YAML the job stands for. */
    readonly name?: string;
    /** Shown instead of the name. */
    readonly displayName?: string;
    /** What the pipeline does. */
    readonly description?: string;
    /** The experiment the job is filed under (`experiment_name`). */
    readonly experimentName?: string;
    /**
     * The folder relative paths (inputs, code folders) resolve against, like a YAML file's folder.
     * @default process.cwd() when the pipeline is called
     */
    readonly baseDir?: string | URL;
    /** false: do not validate when the job is built (only when compiled or submitted). @default true */
    readonly validate?: boolean;
}
/** A pipeline-level output: its overrides (`job.outputs.x.type = 'uri_file'`). */
export interface PipelineOutput {
    /** Overrides the type of the step output it is. */
    type?: DataType;
    /** How it is written (Azure-only: parajob writes in place, and warns). */
    mode?: OutputMode;
    /** Where it goes; default: under the run directory. */
    path?: string;
}
/** The value a pipeline input declared as `P` is called with. */
export type PipelineArg<P> = P extends PipelineInput<infer T> ? [T] extends [never] ? unknown : T extends DataType ? Input<T, true> : T extends PrimitiveType ? PrimitiveValue<T> | Input<T, true> : never : never;
/** The object a built pipeline is called with, one value per input of its function. */
export type PipelineArgs<A> = {
    [K in keyof A]: PipelineArg<A[K]>;
};
/** What a pipeline function may return: its outputs, by name. */
export type PipelineReturn = Readonly<Record<string, StepOutput>> | void;
/** A pipeline job built in code: a Job with its steps, settings and outputs open to overrides. */
export declare class PipelineJob<R extends PipelineReturn = PipelineReturn> extends Job {
    readonly options: PipelineOptions;
    private readonly inputValues;
    readonly steps: readonly Step[];
    /** Mutable pipeline settings. */
    readonly settings: PipelineSettings;
    /** Pipeline outputs by name (the function's return keys). */
    readonly outputs: {
        [K in keyof R]: PipelineOutput;
    };
    /** The steps by name. */
    get jobs(): Readonly<Record<string, Step>>;
    /** @internal */
    constructor(options: PipelineOptions, inputValues: Readonly<Record<string, unknown>>, steps: readonly Step[], returned: Readonly<Record<string, StepOutput>>, baseDir: string);
    private readonly returned;
    /** The pipeline YAML document, with every override made so far. */
    toDocument(): Record<string, unknown>;
    /** A step's document, its component file written relative to the base folder when inside it. */
    private stepDocument;
}
/** A step output's type: its node-level override, else its declared type (undefined: not known). */
export declare function typeOf(output: StepOutput): DataType | undefined;
/**
 * @internal Runs a pipeline function, collecting the steps its component calls add, and marks the
 * step outputs it returns as the pipeline's outputs (`${{parent.outputs.<name>}}`).
 */
export declare function collectPipeline(body: () => PipelineReturn): {
    steps: readonly Step[];
    returned: Readonly<Record<string, StepOutput>>;
};
/** The object, or undefined when it is empty (so that the YAML leaves the key out). */
export declare function nonEmpty(object: Record<string, unknown>): Record<string, unknown> | undefined;
/** The type an input has from its value (or declaration): an Input's type, else its literal's. */
export declare function inputTypeOf(value: unknown): InputType | undefined;
/**
 * Defines a pipeline. `body` receives the pipeline's inputs (one {@link PipelineInput} per key of the
 * object the pipeline is called with), calls components to add steps, and returns the step outputs
 * that become the pipeline's outputs. The result, called with the input values, builds and validates
 * a {@link PipelineJob}: an invalid one throws a ValidationError with the YAML validator's messages.
 *
 * @example
 * ```ts
 * const build = pipeline({ name: 'hash', defaultCompute: 'cpu-cluster' },
 *   ({ docs }: { docs: PipelineInput<'uri_folder'> }) => ({ hashes: hashFiles({ docs }).outputs.result }));
 * const job = build({ docs: Input({ type: 'uri_folder', path: './data' }) });
 * ```
 */
export declare function pipeline<A extends Record<string, PipelineInput> = Record<string, PipelineInput>, R extends PipelineReturn = PipelineReturn>(options: PipelineOptions, body: (inputs: A) => R): (inputs: PipelineArgs<A>) => PipelineJob<R>;

// src/sdk/run-local.d.ts
import type { JobStatus } from '../gen/parajob/v1/parajob.js';
import { type Job } from './job.js';
import type { JobStreamEvent } from './job-events.js';
/** The cluster runLocal runs a job on (local-cluster.ts). @internal */
export interface LocalCluster {
    readonly address: string;
    stop(): Promise<void>;
}
/** Starts a {@link LocalCluster}. @internal */
export type StartLocalCluster = (options: {
    readonly dataDir: string;
    readonly pools: ReadonlyMap<string, number>;
    readonly logLevel: NonNullable<RunLocalOptions['logLevel']>;
}) => Promise<LocalCluster>;
/** Options of {@link runLocal}. */
export interface RunLocalOptions {
    /** Nodes per compute pool. @default the largest `instance_count` of the steps on that pool */
    readonly nodes?: number;
    /** The data dir (as `parajob run --data-dir`). @default ./.parajob */
    readonly dataDir?: string;
    /** The run directory. @default `<data dir>/runs/<job id>` */
    readonly runDir?: string;
    /** Written into the job as `experiment_name`. */
    readonly experimentName?: string;
    /** Every event of the job while it runs (status, progress, steps starting and ending, messages). */
    readonly onEvent?: (event: JobStreamEvent) => void;
    /** Aborting it cancels the job; runLocal still resolves once the job has ended. */
    readonly signal?: AbortSignal;
    /** Log level of the coordinator and nodes (their logs are files in the data dir). @default 'info' */
    readonly logLevel?: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
}
/** What {@link runLocal} resolves to: the finished job. */
export interface LocalRun {
    /** The job's id. */
    readonly jobId: string;
    /** The job's run directory. */
    readonly runDir: string;
    /** The final status (state, progress, steps, outputs). */
    readonly status: JobStatus;
    /** Where each output was written, by the name the coordinator reports (a pipeline's: its own outputs' names). */
    readonly outputs: Readonly<Record<string, string>>;
    /** The validation's warnings. */
    readonly warnings: readonly string[];
}
/**
 * Runs `job` (built in code, loaded, or the path of a YAML file) on this machine and resolves with
 * it finished, whatever its final state (look at `status.state`). A ValidationError before anything
 * starts for an invalid job.
 *
 * @example
 * ```ts
 * const run = await runLocal(myPipeline, { dataDir: './.parajob' });
 * if (run.status.state === JobState.JOB_STATE_SUCCEEDED) console.log(run.outputs['score.scores']);
 * ```
 */
export declare function runLocal(job: Job | string, options?: RunLocalOptions): Promise<LocalRun>;

// src/sdk/step.d.ts
/**
 * A step of a pipeline built in code: a component called with its inputs. It keeps references (to
 * pipeline inputs, to other steps' outputs) rather than strings, so renaming a step or overriding an
 * output after the call (`step.outputs.x.type = 'mltable'`, as in Azure's SDK) changes the YAML it
 * writes. `toDocument()` is its `jobs.<name>` entry of the pipeline YAML.
 */
import { type DataType, type InputMode, type InputValue, type Output, type OutputMode, type StepInputOverride, type StepOutputOverride, type StepOutputRef } from './io.js';
/** One output of a step: a reference other steps consume, and its node-level overrides. */
export declare class StepOutput<T extends DataType = DataType> implements StepOutputRef, StepOutputOverride {
    readonly step: Step;
    readonly name: string;
    readonly declared: Output | undefined;
    /** Overrides the declared type. */
    type?: T;
    /** Overrides the declared mode (Azure-only: parajob writes in place, and warns). */
    mode?: OutputMode;
    /** Where the output goes; default: under the step's run directory. */
    path?: string;
    /** @internal The pipeline output this output is returned as (set by pipeline()). */
    pipelineOutput: string | undefined;
    /** @internal */
    constructor(step: Step, name: string, declared: Output | undefined);
    /** `${{parent.jobs.<step>.outputs.<name>}}`, under the step's current name. */
    toBinding(): string;
}
/** One input of a step: the value it was given and its node-level overrides. */
export declare class StepInput implements StepInputOverride {
    readonly name: string;
    /** The value given at the call (or the declaration's own value); undefined: left unset. */
    value: InputValue | undefined;
    /** Overrides the data type the input is read as. */
    type?: DataType;
    /** Overrides how the input is read (`ro_mount`, `download`, `direct`, `eval_mount`, ...). */
    mode?: InputMode;
    /** @internal */
    constructor(name: string, 
    /** The value given at the call (or the declaration's own value); undefined: left unset. */
    value: InputValue | undefined);
}
/** Node-level settings a step may override (Azure's `node.compute = …`, `node.resources = …`). */
export interface StepOverrides {
    /** Compute pool (`azureml:` prefix optional); default: the pipeline's `defaultCompute`. */
    compute?: string;
    /** Shown instead of the name. */
    displayName?: string;
    /** `resources.instanceCount`: nodes of a parallel step (a command step runs on one). */
    resources?: {
        instanceCount?: number;
    };
    /** Added to (and winning over) the component's environment variables. */
    environmentVariables?: Record<string, string>;
}
/** What a component contributes to each step made from it (see component.ts). */
export interface StepTemplate {
    /** The step's YAML keys besides `inputs`, `outputs` and the node-level overrides. */
    readonly base: Readonly<Record<string, unknown>>;
    /** Declared inputs: Input declarations, or literal defaults (command inputs may be plain values). */
    readonly inputs: Readonly<Record<string, unknown>>;
    readonly outputs: Readonly<Record<string, Output | undefined>>;
    /** True for a step with `component:`: inputs and outputs carry only values and overrides. */
    readonly usesComponentFile: boolean;
}
/** Drops undefined values, so the YAML holds only what was set. */
export declare function compact(object: Record<string, unknown>): Record<string, unknown>;
/**
 * A step: `name` is its key under `jobs`; `inputs` and `outputs` hold one entry per declared
 * input/output. Made by calling a component inside a `pipeline()` function.
 */
export declare class Step<O extends Record<string, StepOutput> = Record<string, StepOutput>> implements StepOverrides {
    name: string;
    private readonly template;
    /** Compute pool of this step (`azureml:` optional); default: the pipeline's `defaultCompute`. */
    compute?: string;
    /** Shown instead of the name. */
    displayName?: string;
    /** `instanceCount`: nodes of a parallel step. */
    resources?: {
        instanceCount?: number;
    };
    /** Added to (and winning over) the component's environment variables. */
    environmentVariables?: Record<string, string>;
    /** The step's inputs by name: `step.inputs.x.mode = 'direct'` overrides how it is read. */
    readonly inputs: Record<string, StepInput>;
    /** The step's outputs by name: pass them to other steps, or override `type`, `mode`, `path`. */
    readonly outputs: O;
    /** @internal */
    constructor(name: string, template: StepTemplate, values: Readonly<Record<string, InputValue | undefined>>);
    /** The output `name`; throws naming the step's outputs when it has none of that name. */
    output(name: string): StepOutput;
    /** The step's `jobs.<name>` entry of the pipeline YAML. */
    toDocument(): Record<string, unknown>;
    private inputDocument;
    private outputDocument;
}

// src/sdk/submission.d.ts
import type { CodeSnapshot } from '../gen/parajob/v1/parajob.js';
import type { AssetResolver } from '../jobspec/assets/resolver.js';
import type { CompiledJob } from '../jobspec/model.js';
import type { SubmitJobInput } from '../rpc/jobs-client.js';
import { type Job } from './job.js';
/** A validated job and the Submit request made from it. */
export interface PreparedSubmission {
    /** The spec as the client compiled it (for the node count, compute pools and warnings). */
    readonly compiled: CompiledJob;
    /** What to send to `Jobs.Submit`. */
    readonly request: SubmitJobInput;
}
/** Options of prepareSubmission (a YAML file). */
export interface PrepareSubmissionOptions {
    /** Absolute run directory to ask for; undefined: the coordinator picks one. */
    readonly runDir?: string;
    /**
     * Run directory used only to compile the spec locally when `runDir` is not given (default output
     * paths depend on it; nothing is written there).
     */
    readonly provisionalRunDir: string;
    /** `--set PATH=VALUE` overrides, applied to the YAML before anything else (the YAML sent has them). */
    readonly sets?: readonly string[];
    /** Registered components, data and datastores (the local data dir's store). */
    readonly assets?: AssetResolver;
    /** Code folders not to snapshot: the coordinator holds them (a registered component's code). */
    readonly coordinatorCode?: (folder: string) => boolean;
}
/**
 * Loads and validates `file`, snapshots its code folders and builds the Submit request. Throws the
 * spec loader's SpecErrors for an invalid spec, and an InputError for a code folder that cannot be read.
 */
export declare function prepareSubmission(file: string, options: PrepareSubmissionOptions): Promise<PreparedSubmission>;
/** A job file read and compiled, before its inputs are checked and its code snapshotted. */
export interface CompiledSubmission {
    readonly compiled: CompiledJob;
    /** The YAML as validated (the `--set` overrides applied): exactly what is sent. */
    readonly specYaml: string;
    readonly specPath: string;
}
/**
 * The first half of prepareSubmission: reads and compiles `file` (SpecErrors for an invalid spec).
 * `parajob run` starts its node processes between the halves (it knows how many from the compiled
 * spec), so their start-up overlaps the MLTable checks and code snapshots.
 */
export declare function compileSubmission(file: string, options: Omit<PrepareSubmissionOptions, 'coordinatorCode'>): Promise<CompiledSubmission>;
/** Options of prepareJobSubmission. */
export interface PrepareJobSubmissionOptions {
    /** Absolute run directory to ask for; undefined: the coordinator picks one. */
    readonly runDir?: string;
    /** Written into the YAML sent (`experiment_name`). */
    readonly experimentName?: string;
    readonly assets?: AssetResolver;
    /** Code folders not to snapshot: the coordinator holds them (a registered component's code). */
    readonly coordinatorCode?: (folder: string) => boolean;
}
/**
 * prepareSubmission for a Job of the SDK (built in code or loaded): validated by the one compiler
 * (a ValidationError), its code folders snapshotted, its YAML (with `experimentName`) to send.
 */
export declare function prepareJobSubmission(job: Job, options?: PrepareJobSubmissionOptions): Promise<PreparedSubmission>;
/** The second half of prepareSubmission: checks the MLTable inputs, snapshots the code, builds the request. */
export declare function finishSubmission(compiled: CompiledJob, specYaml: string, specPath: string, options: {
    readonly runDir?: string | undefined;
    readonly coordinatorCode?: (folder: string) => boolean;
}): Promise<PreparedSubmission>;
/**
 * Loads the MLTable of every step whose input_data is an mltable, and reads the first rows of a
 * tabular one, as the coordinator will: an invalid MLTable (SpecErrors naming the MLTable file, key
 * path and line) or data its read settings do not fit (InputError naming the data file) is reported
 * before anything is submitted. The coordinator checks again (the data may change meanwhile).
 */
export declare function checkMLTableInputs(compiled: CompiledJob): Promise<void>;
/** One snapshot per distinct `task.code` folder, in step order, but for those `skip` says the coordinator holds. */
export declare function snapshotCodeFolders(compiled: CompiledJob, skip?: (folder: string) => boolean): Promise<CodeSnapshot[]>;
/**
 * How many node processes each compute pool needs to run every step at full width: the largest
 * `instance_count` among the steps on that pool (or `override` for every pool when given).
 */
export declare function nodesPerCompute(compiled: CompiledJob, override?: number): Map<string, number>;
