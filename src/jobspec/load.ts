/**
 * The one entry point to job YAML: a pipeline of `type: parallel` steps, or a standalone
 * `type: parallel` file, becomes a CompiledJob (model.ts), or a SpecErrors listing every problem found,
 * each located by file, key path and line.
 */
import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';

import { SpecError, SpecErrors } from '../errors.js';
import { type AssetResolver, NO_ASSETS } from './assets/resolver.js';
import { compileGraph } from './compile-graph.js';
import { compileNode } from './compile-node.js';
import { compileParallelStep } from './compile-step.js';
import { Diagnostics } from './diagnostics.js';
import { compileInputs, DEFAULT_DATASTORE_NAME } from './inputs.js';
import { stepRunDir } from './layout.js';
import type { CompiledJob, CompiledStep } from './model.js';
import { nearestKey } from './nearest-key.js';
import { compilePipelineOutputs } from './outputs.js';
import {
  AZURE_ONLY_KEYS,
  PipelineSchema,
  settingsShape,
  StandaloneParallelSchema,
  StandaloneSettingsSchema,
} from './schema.js';
import { YamlSource } from './yaml-source.js';
import { issuesToSpecErrors } from './zod-issues.js';

/** Options of compileJobSpec / loadJobSpec. */
export interface CompileOptions {
  /** Absolute run directory of the job; default outputs and step folders go under it. */
  readonly runDir: string;
  /**
   * Cores of the nodes, when the caller knows them. Not used to fill `maxConcurrencyPerInstance`,
   * which stays undefined unless written, so that each node applies its own core count.
   */
  readonly coresHint?: number;
  /**
   * Registered components, data assets and datastores (`azureml:…` references, datastore paths).
   * @default none: such references are errors (see assets/local-store.ts for the data dir's store)
   */
  readonly assets?: AssetResolver;
}

/** The name of the one step of a standalone parallel file without `name:`. */
export const STANDALONE_STEP_NAME = 'main';

export { stepRunDir } from './layout.js';

/** Azure's default datastore: `<data dir>/datastores/workspaceblobstore/` out of the box. */
export const DEFAULT_DATASTORE = DEFAULT_DATASTORE_NAME;

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `azureml:workspaceblobstore` → `workspaceblobstore`. */
function datastoreName(raw: string | undefined): string {
  const name = raw?.trim().replace(/^azureml:/, '');
  return name ? name : DEFAULT_DATASTORE;
}

/** Warns about settings keys Azure keeps but parajob does not know, naming the nearest known key. */
function warnUnknownSettings(settings: Record<string, unknown> | undefined, diagnostics: Diagnostics): void {
  const known = Object.keys(settingsShape);
  for (const key of Object.keys(settings ?? {})) {
    if (known.includes(key)) continue;
    const near = nearestKey(key, known);
    diagnostics.warn(
      ['settings', key],
      `is not a setting parajob knows and is ignored${near ? ` (did you mean "${near}"?)` : ''}`,
    );
  }
}

function compilePipeline(
  source: YamlSource,
  raw: Record<string, unknown>,
  diagnostics: Diagnostics,
  options: CompileOptions,
): CompiledJob | undefined {
  const baseDir = dirname(resolve(source.file));
  const parsed = PipelineSchema.safeParse(raw);
  if (!parsed.success) diagnostics.addErrors(issuesToSpecErrors(source, parsed.error.issues, raw));
  const jobs = isMap(raw.jobs) ? raw.jobs : {};
  const stepNames = Object.keys(jobs);
  if (isMap(raw.jobs) && stepNames.length === 0) diagnostics.error(['jobs'], 'has no steps; add at least one step');

  const spec = parsed.success ? parsed.data : undefined;
  if (spec) {
    diagnostics.warnAzureOnly(spec, AZURE_ONLY_KEYS.pipeline, []);
    diagnostics.warnAzureOnly(spec.settings, AZURE_ONLY_KEYS.settings, ['settings']);
    warnUnknownSettings(spec.settings, diagnostics);
  }
  const assets = options.assets ?? NO_ASSETS;
  const defaultDatastore = datastoreName(spec?.settings?.default_datastore);
  // workspaceblobstore always exists (in the data dir); another name must be registered.
  if (spec?.settings?.default_datastore !== undefined && defaultDatastore !== DEFAULT_DATASTORE) {
    const store = assets.datastore(defaultDatastore);
    if (!store.ok) diagnostics.error(['settings', 'default_datastore'], store.message);
  }
  const parentInputs = spec
    ? compileInputs(spec.inputs, ['inputs'], {
        diagnostics,
        baseDir,
        parentInputs: undefined,
        assets,
        defaultDatastore,
      })
    : undefined;
  const parentOutputs = spec ? compilePipelineOutputs(spec.outputs, ['outputs'], diagnostics, baseDir) : undefined;
  const bindings: { name: string; step: string; output: string }[] = [];
  const steps: CompiledStep[] = [];
  // Without a valid pipeline around them, the steps' bindings cannot be checked.
  if (parentInputs && parentOutputs) {
    const only = stepNames.length === 1 ? jobs[stepNames[0] as string] : undefined;
    compileGraph(
      jobs,
      {
        diagnostics,
        jobsPath: ['jobs'],
        baseDir,
        prefix: '',
        parentInputs,
        parentOutputs,
        bindings,
        defaultCompute: spec?.settings?.default_compute ?? spec?.compute,
        job: {
          runDir: options.runDir,
          singleStep: stepNames.length === 1 && !(isMap(only) && only.type === 'pipeline'),
          assets,
          defaultDatastore,
          jobName: basename(options.runDir),
          components: new Map(),
          steps,
          expanding: [resolve(source.file)],
        },
      },
      compileNode,
    );
  }

  for (const name of parentOutputs?.keys() ?? []) {
    const bound = bindings.filter((binding) => binding.name === name);
    if (bound.length === 0)
      diagnostics.warn(
        ['outputs', name],
        'is not bound by any step (no ${{parent.outputs.' + name + '}}); nothing is written there',
      );
    if (bound.length > 1) {
      const who = bound.map((binding) => `jobs.${binding.step}.outputs.${binding.output}`).join(' and ');
      diagnostics.error(['outputs', name], `is bound by more than one step output (${who}); bind it once`, true);
    }
  }
  if (!spec) return undefined;
  return {
    sourcePath: resolve(source.file),
    name: spec.name,
    displayName: spec.display_name,
    experimentName: spec.experiment_name,
    steps,
    settings: {
      continueOnStepFailure: spec.settings?.continue_on_step_failure ?? true,
      forceRerun: spec.settings?.force_rerun === true,
      defaultDatastore,
    },
    pipelineOutputs: bindings,
    warnings: diagnostics.warnings,
  };
}

function compileStandalone(
  source: YamlSource,
  raw: Record<string, unknown>,
  diagnostics: Diagnostics,
  options: CompileOptions,
): CompiledJob | undefined {
  const parsed = StandaloneParallelSchema.safeParse(raw);
  if (!parsed.success) {
    diagnostics.addErrors(issuesToSpecErrors(source, parsed.error.issues, raw));
    return undefined;
  }
  const spec = parsed.data;
  const step = compileParallelStep(spec, {
    diagnostics,
    baseDir: dirname(resolve(source.file)),
    stepName: spec.name ?? STANDALONE_STEP_NAME,
    stepPath: [],
    runDir: stepRunDir(options.runDir, spec.name ?? STANDALONE_STEP_NAME, 1),
    defaultCompute: undefined,
    parentInputs: undefined,
    parentOutputs: undefined,
    bindings: [],
    // Data assets and datastore paths (a datastore in object storage, too) as inputs.
    ...(options.assets === undefined ? {} : { assets: options.assets }),
  });
  if (!step) return undefined;
  return {
    sourcePath: resolve(source.file),
    name: spec.name,
    displayName: spec.display_name,
    experimentName: spec.experiment_name,
    steps: [step],
    settings: { ...STANDALONE_SETTINGS, forceRerun: spec.settings?.force_rerun === true },
    pipelineOutputs: [],
    warnings: diagnostics.warnings,
  };
}

const STANDALONE_SETTINGS = { continueOnStepFailure: true, forceRerun: false, defaultDatastore: DEFAULT_DATASTORE };

/**
 * A standalone `type: command` file (Azure's command job): a pipeline of one command step named after
 * its `name` (or "main"), compiled as a step of a pipeline without inputs of its own.
 */
function compileStandaloneCommand(
  source: YamlSource,
  raw: Record<string, unknown>,
  diagnostics: Diagnostics,
  options: CompileOptions,
): CompiledJob | undefined {
  const { $schema: _schema, experiment_name: experimentName, settings: rawSettings, ...step } = raw;
  const settings = StandaloneSettingsSchema.optional().safeParse(rawSettings);
  if (!settings.success) {
    diagnostics.addErrors(
      issuesToSpecErrors(
        source,
        settings.error.issues.map((issue) => ({ ...issue, path: ['settings', ...issue.path] })),
        raw,
      ),
    );
    return undefined;
  }
  const name = typeof raw.name === 'string' ? raw.name : STANDALONE_STEP_NAME;
  const steps: CompiledStep[] = [];
  compileNode(
    { ...step, type: 'command' },
    {
      graph: {
        diagnostics,
        jobsPath: [],
        baseDir: dirname(resolve(source.file)),
        prefix: '',
        parentInputs: new Map(),
        parentOutputs: new Map(),
        bindings: [],
        defaultCompute: undefined,
        job: {
          runDir: options.runDir,
          singleStep: true,
          assets: options.assets ?? NO_ASSETS,
          defaultDatastore: DEFAULT_DATASTORE,
          jobName: basename(options.runDir),
          components: new Map(),
          steps,
          expanding: [],
        },
      },
      localName: name,
      scopedName: name,
      stepPath: [],
      jobs: () => 'a standalone command job has no sibling steps',
    },
  );
  if (steps.length === 0) return undefined;
  return {
    sourcePath: resolve(source.file),
    name: typeof raw.name === 'string' ? raw.name : undefined,
    displayName: typeof raw.display_name === 'string' ? raw.display_name : undefined,
    experimentName: typeof experimentName === 'string' ? experimentName : undefined,
    steps,
    settings: { ...STANDALONE_SETTINGS, forceRerun: settings.data?.force_rerun === true },
    pipelineOutputs: [],
    warnings: diagnostics.warnings,
  };
}

/**
 * Validates and compiles a parsed job YAML. A `type: pipeline` file's steps run in the order
 * written; a standalone `type: parallel` file is a pipeline of one step named after its `name`
 * (or "main"). Local paths are resolved against the YAML file's folder; `task.code`, the entry
 * script and the `input_data` path must exist. Throws SpecErrors with every error found; warnings
 * (Azure-only keys, and the like) are returned in `warnings`.
 */
export function compileJobSpec(source: YamlSource, options: CompileOptions): CompiledJob {
  const diagnostics = new Diagnostics(source);
  const raw = source.toJS();
  let job: CompiledJob | undefined;
  if (!isMap(raw)) {
    diagnostics.error([], 'expected a map with type: pipeline (with jobs), type: parallel or type: command');
  } else if (raw.type === 'pipeline') {
    job = compilePipeline(source, raw, diagnostics, options);
  } else if (raw.type === 'parallel') {
    job = compileStandalone(source, raw, diagnostics, options);
  } else if (raw.type === 'command' || (raw.type === undefined && raw.command !== undefined)) {
    job = compileStandaloneCommand(source, raw, diagnostics, options);
  } else {
    const detail =
      raw.type === undefined
        ? 'is required: pipeline (with jobs), parallel or command'
        : `type "${String(raw.type)}" is not supported; expected pipeline, parallel or command`;
    diagnostics.error(['type'], detail);
  }
  if (diagnostics.errors.length > 0 || !job) throw new SpecErrors(diagnostics.errors);
  return job;
}

/**
 * Reads the YAML file at `file` (an absolute path) and compiles it with compileJobSpec. Throws
 * SpecErrors for an unreadable file, invalid YAML or an invalid job.
 */
export async function loadJobSpec(file: string, options: CompileOptions): Promise<CompiledJob> {
  return compileJobSpec(YamlSource.parse(file, await readJobText(file)), options);
}

/** The text of the job file `file` (absolute); an unreadable file is a SpecErrors naming it. */
export async function readJobText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new SpecErrors([
      new SpecError({ file, keyPath: '' }, `cannot read the job file: ${(error as Error).message}`),
    ]);
  }
}
