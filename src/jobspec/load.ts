/**
 * The one entry point to job YAML: a pipeline of `type: parallel` steps, or a standalone
 * `type: parallel` file, becomes a CompiledJob (model.ts), or a SpecErrors listing every problem found,
 * each located by file, key path and line.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';

import { SpecError, SpecErrors } from '../errors.js';
import { compileParallelStep } from './compile-step.js';
import { Diagnostics } from './diagnostics.js';
import { compileInputs } from './inputs.js';
import type { CompiledJob, CompiledParallelStep } from './model.js';
import { compilePipelineOutputs } from './outputs.js';
import { AZURE_ONLY_KEYS, ParallelStepSchema, PipelineSchema, StandaloneParallelSchema } from './schema.js';
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
}

/** Step names become folder names under `<run dir>/steps/`, so they are kept to a safe alphabet. */
const STEP_NAME = /^[A-Za-z0-9_][A-Za-z0-9_-]*$/;

/** Azure's default datastore: `<data dir>/datastores/workspaceblobstore/` out of the box. */
export const DEFAULT_DATASTORE = 'workspaceblobstore';

/** The name of the one step of a standalone parallel file without `name:`. */
export const STANDALONE_STEP_NAME = 'main';

/**
 * A step's run directory: the job's `runDir` itself for a one-step job, `<runDir>/steps/<stepName>`
 * when the job has several steps.
 */
export function stepRunDir(runDir: string, stepName: string, stepCount: number): string {
  return stepCount <= 1 ? runDir : join(runDir, 'steps', stepName);
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Refuses a step or file `type` other than parallel with a message that says what is supported. */
function unsupportedTypeMessage(type: unknown, expected: string): string {
  if (type === undefined) return `is required: ${expected}`;
  if (type === 'command') return `type "command" is not supported yet; parajob runs type: parallel steps`;
  return `type "${String(type)}" is not supported; expected ${expected}`;
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
  if (isMap(raw.jobs) && stepNames.length === 0)
    diagnostics.error(['jobs'], 'has no steps; add at least one type: parallel step');

  const spec = parsed.success ? parsed.data : undefined;
  if (spec) {
    diagnostics.warnAzureOnly(spec, AZURE_ONLY_KEYS.pipeline, []);
    diagnostics.warnAzureOnly(spec.settings, AZURE_ONLY_KEYS.settings, ['settings']);
    if (spec.settings?.continue_on_step_failure !== undefined) {
      diagnostics.warn(['settings', 'continue_on_step_failure'], 'is not supported yet and is ignored');
    }
  }
  const parentInputs = spec
    ? compileInputs(spec.inputs, ['inputs'], { diagnostics, baseDir, parentInputs: undefined })
    : undefined;
  const parentOutputs = spec ? compilePipelineOutputs(spec.outputs, ['outputs'], diagnostics, baseDir) : undefined;
  const bindings: { name: string; step: string; output: string }[] = [];

  const steps: CompiledParallelStep[] = [];
  for (const [stepName, step] of Object.entries(jobs)) {
    const stepPath = ['jobs', stepName];
    if (!STEP_NAME.test(stepName)) {
      diagnostics.error(stepPath, 'a step name may use letters, digits, "_" and "-" (it names a folder)', true);
    }
    if (!isMap(step)) {
      diagnostics.error(stepPath, 'expected a map (a type: parallel step)');
      continue;
    }
    if (step.type !== 'parallel') {
      diagnostics.error([...stepPath, 'type'], unsupportedTypeMessage(step.type, 'parallel'));
      continue;
    }
    const stepParsed = ParallelStepSchema.safeParse(step);
    if (!stepParsed.success) {
      diagnostics.addErrors(issuesToSpecErrors(source, stepParsed.error.issues, step, stepPath));
      continue;
    }
    // Without a valid pipeline around it, the step's bindings cannot be checked.
    if (!parentInputs || !parentOutputs) continue;
    const compiled = compileParallelStep(stepParsed.data, {
      diagnostics,
      baseDir,
      stepName,
      stepPath,
      runDir: stepRunDir(options.runDir, stepName, stepNames.length),
      defaultCompute: spec?.settings?.default_compute,
      parentInputs,
      parentOutputs,
      bindings,
    });
    if (compiled) steps.push(compiled);
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
      defaultDatastore: DEFAULT_DATASTORE,
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
  });
  if (!step) return undefined;
  return {
    sourcePath: resolve(source.file),
    name: spec.name,
    displayName: spec.display_name,
    experimentName: spec.experiment_name,
    steps: [step],
    settings: { continueOnStepFailure: true, forceRerun: false, defaultDatastore: DEFAULT_DATASTORE },
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
    diagnostics.error([], 'expected a map with type: pipeline (with jobs) or type: parallel');
  } else if (raw.type === 'pipeline') {
    job = compilePipeline(source, raw, diagnostics, options);
  } else if (raw.type === 'parallel') {
    job = compileStandalone(source, raw, diagnostics, options);
  } else {
    diagnostics.error(['type'], unsupportedTypeMessage(raw.type, 'pipeline or parallel'));
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
