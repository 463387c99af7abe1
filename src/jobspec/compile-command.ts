/**
 * Compiles one command step (inline, or a command component with the step's overrides already merged
 * in) into a CompiledCommandStep: inputs, outputs, the code folder, and the command rendered once
 * with this run's paths (bindStepInputs renders it again when upstream outputs live elsewhere).
 */
import { existsSync, statSync } from 'node:fs';

import type { Diagnostics } from './diagnostics.js';
import { type BoundInput, boundTemplateScope, dependenciesOf } from './inputs.js';
import { resolveLocalPath } from './local-path.js';
import type { CompiledCommandStep, CompiledInput, CompiledOutput } from './model.js';
import { compileStepOutput, type OutputScope } from './outputs.js';
import { renderTemplate } from './render.js';
import type { OutputValueSpec } from './schema.js';
import type { KeyPath } from './yaml-source.js';

/** A command step's settled definition: the component's keys with the step's overrides on top. */
export interface CommandDefinition {
  readonly displayName: string | undefined;
  readonly command: string;
  /** Where `command` is written (the step, or the component file). */
  readonly commandAt: { readonly diagnostics: Diagnostics; readonly path: KeyPath };
  /** `code` as written, and the folder it is relative to. */
  readonly code:
    | {
        readonly raw: string;
        readonly baseDir: string;
        readonly at: { readonly diagnostics: Diagnostics; readonly path: KeyPath };
      }
    | undefined;
  readonly environmentVariables: Readonly<Record<string, string | number | boolean>> | undefined;
  readonly timeoutS: number | undefined;
  /** `limits.queue_timeout`; undefined: DEFAULT_QUEUE_TIMEOUT_S. */
  readonly queueTimeoutS: number | undefined;
  readonly instanceCount: number | undefined;
  readonly compute: string | undefined;
  readonly isDeterministic: boolean;
}

export interface CommandScope {
  readonly diagnostics: Diagnostics;
  readonly stepName: string;
  readonly stepPath: KeyPath;
  readonly runDir: string;
  /** Compiled inputs (errors already recorded). */
  readonly inputs: ReadonlyMap<string, BoundInput>;
  /** Output values as the step (merged with the component) gives them. */
  readonly outputs: Readonly<Record<string, OutputValueSpec>>;
  readonly outputScope: OutputScope;
}

/**
 * How long a command step waits for a node of its compute by default before it fails, in seconds:
 * the default of a parallel step's first_task_creation_timeout.
 */
export const DEFAULT_QUEUE_TIMEOUT_S = 600;

/** `azureml:cpu-cluster` → `cpu-cluster`; empty → undefined. */
export function computeName(raw: string | undefined): string | undefined {
  const name = raw?.trim().replace(/^azureml:/, '');
  return name ? name : undefined;
}

function resolveCode(definition: CommandDefinition): string | undefined {
  if (!definition.code) return undefined;
  const { raw, baseDir, at } = definition.code;
  const resolved = resolveLocalPath(raw, baseDir);
  if (!resolved.ok) {
    at.diagnostics.error(at.path, resolved.message);
    return undefined;
  }
  if (!existsSync(resolved.path) || !statSync(resolved.path).isDirectory()) {
    at.diagnostics.error(at.path, `the code folder does not exist: ${resolved.path}`);
    return undefined;
  }
  return resolved.path;
}

/** Compiles the step; undefined when it has errors (all recorded). */
export function compileCommandStep(
  definition: CommandDefinition,
  scope: CommandScope,
): CompiledCommandStep | undefined {
  const errorsBefore = scope.diagnostics.errorCount;
  const outputs = new Map<string, CompiledOutput | undefined>();
  for (const [name, value] of Object.entries(scope.outputs)) {
    outputs.set(name, compileStepOutput(name, value, [...scope.stepPath, 'outputs', name], scope.outputScope));
  }
  const code = resolveCode(definition);
  if (/\\\r?\n/.test(definition.command)) {
    definition.commandAt.diagnostics.error(
      definition.commandAt.path,
      'a "\\" line continuation is not supported in command (as in Azure); use a folded block (>-) instead',
    );
  }
  const rendered = renderTemplate(definition.command, boundTemplateScope(scope.inputs, outputs, 'command'), 'paths');
  for (const problem of rendered.problems) definition.commandAt.diagnostics.error(definition.commandAt.path, problem);
  if (scope.diagnostics.errorCount > errorsBefore) return undefined;

  const inputs: CompiledInput[] = [];
  for (const bound of scope.inputs.values()) if (bound.state === 'value') inputs.push(bound.input);
  return {
    kind: 'command',
    name: scope.stepName,
    displayName: definition.displayName,
    runDir: scope.runDir,
    compute: computeName(definition.compute) ?? 'local',
    dependsOn: dependenciesOf(inputs),
    inputs,
    outputs: [...outputs.values()].filter((output): output is CompiledOutput => output !== undefined),
    environmentVariables: Object.fromEntries(
      Object.entries(definition.environmentVariables ?? {}).map(([key, value]) => [key, String(value)]),
    ),
    isDeterministic: definition.isDeterministic,
    code,
    commandTemplate: definition.command,
    command: rendered.text,
    timeoutMs: definition.timeoutS === undefined ? undefined : definition.timeoutS * 1000,
    queueTimeoutMs: (definition.queueTimeoutS ?? DEFAULT_QUEUE_TIMEOUT_S) * 1000,
    instanceCount: definition.instanceCount ?? 1,
  };
}
