/**
 * Everything a client (the SDK's ParajobClient, and through it the CLI) does before `Jobs.Submit`: validate the spec locally (so a typo is reported in
 * a second, with file and line, before anything starts), snapshot each distinct `task.code` folder,
 * and read the YAML as written.
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';

import { takeSnapshot } from '../code/snapshot.js';
import { InputError } from '../errors.js';
import type { CodeSnapshot } from '../gen/parajob/v1/parajob.js';
import type { AssetResolver } from '../jobspec/assets/resolver.js';
import { compileJobSpec, readJobText } from '../jobspec/load.js';
import type { CompiledJob } from '../jobspec/model.js';
import { applySetOverrides } from '../jobspec/set-overrides.js';
import { isParallelStep, jobCodeFolders, stepCodeFolder } from '../jobspec/steps.js';
import { YamlSource } from '../jobspec/yaml-source.js';
import type { SubmitJobInput } from '../rpc/jobs-client.js';
import { type Job, PROVISIONAL_RUN_DIR, yamlText } from './job.js';

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
export async function prepareSubmission(file: string, options: PrepareSubmissionOptions): Promise<PreparedSubmission> {
  const spec = await compileSubmission(file, options);
  return finishSubmission(spec.compiled, spec.specYaml, spec.specPath, options);
}

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
export async function compileSubmission(
  file: string,
  options: Omit<PrepareSubmissionOptions, 'coordinatorCode'>,
): Promise<CompiledSubmission> {
  const specPath = resolve(file);
  // Read once: the YAML sent is exactly the YAML validated here.
  const specYaml = applySetOverrides(specPath, await readJobText(specPath), options.sets ?? []);
  const compiled = compileJobSpec(YamlSource.parse(specPath, specYaml), {
    runDir: options.runDir ?? options.provisionalRunDir,
    ...(options.assets ? { assets: options.assets } : {}),
  });
  return { compiled, specYaml, specPath };
}

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
export async function prepareJobSubmission(
  job: Job,
  options: PrepareJobSubmissionOptions = {},
): Promise<PreparedSubmission> {
  const compiled = job.compile({
    runDir: options.runDir ?? PROVISIONAL_RUN_DIR,
    ...(options.assets ? { assets: options.assets } : {}),
  });
  const specYaml =
    options.experimentName === undefined
      ? (job.source.text ?? job.toYaml())
      : yamlText({ ...job.toDocument(), experiment_name: options.experimentName });
  return finishSubmission(compiled, specYaml, job.source.specPath, options);
}

/** The second half of prepareSubmission: checks the MLTable inputs, snapshots the code, builds the request. */
export async function finishSubmission(
  compiled: CompiledJob,
  specYaml: string,
  specPath: string,
  options: { readonly runDir?: string | undefined; readonly coordinatorCode?: (folder: string) => boolean },
): Promise<PreparedSubmission> {
  const { runDir } = options;
  await checkMLTableInputs(compiled);
  const code = await snapshotCodeFolders(compiled, options.coordinatorCode);
  const request: SubmitJobInput =
    runDir === undefined ? { specYaml, specPath, code } : { specYaml, specPath, code, runDir };
  return { compiled, request };
}

/**
 * Loads the MLTable of every step whose input_data is an mltable, and reads the first rows of a
 * tabular one, as the coordinator will: an invalid MLTable (SpecErrors naming the MLTable file, key
 * path and line) or data its read settings do not fit (InputError naming the data file) is reported
 * before anything is submitted. The coordinator checks again (the data may change meanwhile).
 */
export async function checkMLTableInputs(compiled: CompiledJob): Promise<void> {
  const checked = new Set<string>();
  for (const step of compiled.steps.filter(isParallelStep)) {
    const input = step.inputs.find((candidate) => candidate.name === step.inputData);
    // An upstream step's output does not exist before that step runs.
    if (input?.kind !== 'data' || input.type !== 'mltable' || input.from || checked.has(input.path)) continue;
    checked.add(input.path);
    // Loaded only for a job with an MLTable input: the table readers (csv-parse, hyparquet) are not
    // part of every `parajob run`'s start-up.
    const [{ loadMLTable }, { probeTable }] = await Promise.all([
      import('../input/mltable/index.js'),
      import('../input/tabular/probe-table.js'),
    ]);
    const table = await loadMLTable(input.path);
    if (table.kind === 'tabular') await probeTable(table);
  }
}

/** One snapshot per distinct `task.code` folder, in step order, but for those `skip` says the coordinator holds. */
export async function snapshotCodeFolders(
  compiled: CompiledJob,
  skip: (folder: string) => boolean = () => false,
): Promise<CodeSnapshot[]> {
  const folders = jobCodeFolders(compiled).filter((folder) => !skip(folder));
  const snapshots: CodeSnapshot[] = [];
  for (const folder of folders) {
    const info = await stat(folder).catch(() => undefined);
    if (!info?.isDirectory()) {
      const step = compiled.steps.find((s) => stepCodeFolder(s) === folder);
      throw new InputError(
        `${compiled.sourcePath}: jobs.${step?.name ?? '?'}.task.code: the code folder ${folder} does not exist or is not a folder`,
      );
    }
    snapshots.push(await takeSnapshot(folder));
  }
  return snapshots;
}

/**
 * How many node processes each compute pool needs to run every step at full width: the largest
 * `instance_count` among the steps on that pool (or `override` for every pool when given).
 */
export function nodesPerCompute(compiled: CompiledJob, override?: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (const step of compiled.steps) {
    const wanted = override ?? step.instanceCount;
    counts.set(step.compute, Math.max(counts.get(step.compute) ?? 0, wanted));
  }
  return counts;
}
