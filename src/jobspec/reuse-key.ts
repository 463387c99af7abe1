/**
 * Reuse keys (Azure's `is_deterministic`): two runs of a step with equal keys would compute the same
 * thing, so the later one may take the earlier one's outputs instead of running. The key covers the
 * step's definition (what it runs and how, not where this run keeps its files), its code snapshot,
 * the content of its data inputs (an upstream output counts by its content hash) and the settings
 * that shape its outputs. Pure: the runner hashes files and passes the hashes in.
 */
import { createHash } from 'node:crypto';

import { ParajobError } from '../errors.js';
import type { CompiledInput, CompiledOutput, CompiledSettings, CompiledStep } from './model.js';

/** What the runner measured for one step before deciding whether to reuse. */
export interface ReuseFacts {
  /** Snapshot hash of the step's code folder (src/code/snapshot.ts); undefined for a step without code. */
  readonly codeHash: string | undefined;
  /** Content hash of each data input, by input name (an upstream output: its content hash). */
  readonly inputHashes: Readonly<Record<string, string>>;
}

/** Bump when what goes into the key changes, so old keys stop matching. */
const KEY_VERSION = 'parajob-reuse-1';

function inputPart(input: CompiledInput, hashes: Readonly<Record<string, string>>): unknown {
  if (input.kind === 'literal') return { name: input.name, value: input.value };
  const hash = hashes[input.name];
  if (hash === undefined) throw new ParajobError(`no content hash for data input "${input.name}"`);
  return { name: input.name, type: input.type, mode: input.mode, hash };
}

/** An output's place matters only when written out: default outputs live in each run's own folder. */
function outputPart(output: CompiledOutput): unknown {
  return { name: output.name, type: output.type, path: output.explicitPath ? output.path : null };
}

/** The parts of a step's definition that decide what it computes (no run-folder paths). */
export function stepDefinition(step: CompiledStep): unknown {
  const common = {
    kind: step.kind,
    compute: step.compute,
    environmentVariables: step.environmentVariables,
    outputs: step.outputs.map(outputPart),
  };
  if (step.kind === 'command') {
    return { ...common, command: step.commandTemplate, timeoutMs: step.timeoutMs, instanceCount: step.instanceCount };
  }
  return {
    ...common,
    inputData: step.inputData,
    miniBatchSize: step.miniBatchSize?.text ?? null,
    partitionKeys: step.partitionKeys ?? null,
    instanceCount: step.instanceCount,
    maxConcurrencyPerInstance: step.maxConcurrencyPerInstance ?? null,
    maxRetries: step.maxRetries,
    runTimeoutMs: step.runTimeoutMs,
    miniBatchErrorThreshold: step.miniBatchErrorThreshold,
    loggingLevel: step.loggingLevel,
    entryScript: step.task.entryScript,
    programArguments: step.task.programArgumentsTemplate,
    appendRowTo: step.task.appendRowTo ?? null,
    predefined: step.predefined,
  };
}

/** JSON with object keys sorted, so equal values give equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, inner]) => inner !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, inner]) => `${JSON.stringify(key)}:${canonicalJson(inner)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/**
 * The step's reuse key, or undefined when it must run: `is_deterministic: false`, or
 * `force_rerun` (settings or `--force-rerun`). Throws when `facts` lacks a data input's hash.
 */
export function reuseKey(
  step: CompiledStep,
  facts: ReuseFacts,
  settings: Pick<CompiledSettings, 'forceRerun'>,
): string | undefined {
  if (!step.isDeterministic || settings.forceRerun) return undefined;
  const key = {
    version: KEY_VERSION,
    definition: stepDefinition(step),
    code: facts.codeHash ?? null,
    inputs: [...step.inputs]
      .sort((a, b) => (a.name < b.name ? -1 : 1))
      .map((input) => inputPart(input, facts.inputHashes)),
  };
  return createHash('sha256').update(canonicalJson(key)).digest('hex');
}
