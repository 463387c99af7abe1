/**
 * `pipelineComponent(options, (inputs) => outputs)`: a pipeline built in code that other pipelines
 * use as a step, as Azure's `@pipeline` function called inside another one. Its function runs once,
 * when it is defined, collecting its steps; the component is then the pipeline component YAML
 * (`type: pipeline` with typed `inputs`, `outputs` and `jobs`), and calling it inside a pipeline()
 * function adds a `type: pipeline` step with that component inline. The one compiler (src/jobspec)
 * compiles it as it compiles a step with `component: ./x.yml`: its steps become `<step>/<inner step>`.
 */
import type { Component, InputDeclaration } from './component.js';
import { makeComponent } from './component.js';
import { inputDeclaration } from './component-document.js';
import type { DataType, Input, Output } from './io.js';
import { PipelineInput } from './io.js';
import { collectPipeline, inputTypeOf, nonEmpty, type PipelineReturn, typeOf } from './pipeline.js';
import { compact, type StepOutput } from './step.js';

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
export type DeclaredInputType<D> =
  D extends Input<infer T, boolean> ? T : D extends string ? 'string' : D extends boolean ? 'boolean' : never;

/** The inputs a pipeline component's function receives: one PipelineInput per declared input. */
export type PipelineComponentInputs<I> = { [K in keyof I]: PipelineInput<DeclaredInputType<I[K]>> };

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
export function pipelineComponent<
  const I extends Readonly<Record<string, InputDeclaration>> = Record<never, InputDeclaration>,
  R extends PipelineReturn = PipelineReturn,
>(
  options: PipelineComponentOptions<I>,
  body: (inputs: PipelineComponentInputs<I>) => R,
): Component<I, PipelineComponentOutputs<R>> {
  const declared: Readonly<Record<string, InputDeclaration>> = options.inputs ?? {};
  const refs = Object.fromEntries(
    Object.entries(declared).map(([name, declaration]) => [
      name,
      new PipelineInput(name, inputTypeOf(declaration) ?? 'string'),
    ]),
  ) as PipelineComponentInputs<I>;
  const { steps, returned } = collectPipeline(() => body(refs));
  const outputs = Object.fromEntries(
    Object.entries(returned).map(([name, output]) => [name, { kind: 'output', type: typeOf(output) ?? 'uri_folder' }]),
  ) as Record<string, Output>;
  const component = compact({
    type: 'pipeline',
    name: options.name,
    display_name: options.displayName,
    description: options.description,
    inputs: nonEmpty(
      Object.fromEntries(Object.entries(declared).map(([name, value]) => [name, inputDeclaration(value)])),
    ),
    outputs: nonEmpty(Object.fromEntries(Object.entries(outputs).map(([name, { type }]) => [name, { type }]))),
    jobs: Object.fromEntries(steps.map((step) => [step.name, step.toDocument()])),
  });
  return makeComponent<I, PipelineComponentOutputs<R>>(options.name, 'pipeline', {
    base: { type: 'pipeline', component },
    inputs: declared,
    outputs,
    usesComponentFile: true,
  });
}
