/**
 * Run-time binding of a step to what its upstream steps actually produced. A reused producer's
 * outputs are an earlier run's paths, not the ones compiled for this run, so before a step starts the
 * runner hands over the produced paths and gets the step back with its `from` inputs pointing there
 * and its command (or program arguments and argv) rendered again. Pure.
 */
import { join } from 'node:path';

import { ParajobError } from '../errors.js';
import type { CompiledCommandStep, CompiledInput, CompiledParallelStep, CompiledStep } from './model.js';
import { splitProgramArguments } from './program-arguments.js';
import { compiledTemplateScope, renderTemplate } from './render.js';
import { buildEntryArgv } from './system-arguments.js';

/** Output paths by (scoped) step name, then output name: what each finished upstream step produced. */
export type ProducedOutputs = Readonly<Record<string, Readonly<Record<string, string>>>>;

/** The step's inputs with every `from` input's path taken from `produced`. */
function bindInputs(step: CompiledStep, produced: ProducedOutputs): CompiledInput[] {
  return step.inputs.map((input) => {
    if (input.kind !== 'data' || input.from === undefined) return input;
    const path = produced[input.from.step]?.[input.from.output];
    if (path === undefined) {
      throw new ParajobError(
        `step ${step.name}: input "${input.name}" needs output "${input.from.output}" of step ${input.from.step}, which was not produced`,
      );
    }
    return { ...input, path };
  });
}

function renderOrThrow(step: CompiledStep, template: string, inputs: readonly CompiledInput[], field: string): string {
  const expansion = renderTemplate(template, compiledTemplateScope(inputs, step.outputs, field), 'paths');
  if (expansion.problems.length > 0)
    throw new ParajobError(`step ${step.name}: ${field}: ${expansion.problems.join('; ')}`);
  return expansion.text;
}

function bindCommandStep(step: CompiledCommandStep, inputs: CompiledInput[]): CompiledCommandStep {
  return { ...step, inputs, command: renderOrThrow(step, step.commandTemplate, inputs, 'command') };
}

function bindParallelStep(step: CompiledParallelStep, inputs: CompiledInput[]): CompiledParallelStep {
  const scope = compiledTemplateScope(inputs, step.outputs, 'program_arguments');
  const expansion = renderTemplate(step.task.programArgumentsTemplate, scope, 'all');
  const split = splitProgramArguments(expansion.text);
  if (expansion.problems.length > 0 || !split.ok) {
    const problems = [...expansion.problems, ...(split.ok ? [] : [split.message])];
    throw new ParajobError(`step ${step.name}: program_arguments: ${problems.join('; ')}`);
  }
  const argv = buildEntryArgv(
    {
      appendRowFile: step.task.appendRowFile,
      stepOutputsDir: join(step.runDir, 'outputs'),
      loggingLevel: step.loggingLevel,
      miniBatchSize: step.miniBatchSize,
      errorThreshold: step.predefined.errorThreshold,
      runTimeoutMs: step.runTimeoutMs,
      maxRetries: step.maxRetries,
    },
    split.words,
  );
  return { ...step, inputs, task: { ...step.task, programArguments: split.words }, argv };
}

/**
 * `step` with each input bound to an upstream output (`from`) given the path in `produced`, and its
 * command (command step) or program arguments and argv (parallel step) rendered with those paths.
 * Steps without upstream inputs come back equal. Throws a ParajobError when `produced` lacks an
 * output the step consumes (a runner bug: a step starts only after its producers).
 */
export function bindStepInputs<S extends CompiledStep>(step: S, produced: ProducedOutputs): S {
  const inputs = bindInputs(step, produced);
  // The casts only restore S: each branch returns the same kind it was given.
  if (step.kind === 'command') return bindCommandStep(step, inputs) as S;
  return bindParallelStep(step, inputs) as S;
}
