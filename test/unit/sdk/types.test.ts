/**
 * What TypeScript catches when jobs are built in code: wrong input names, wrong value types, missing
 * required inputs and settings. Each `@ts-expect-error` fails `tsc -p tsconfig.test.json` (CI) if the
 * line below it ever compiles; the runtime assertions check the types the builders infer.
 */
import { describe, expectTypeOf, it } from 'vitest';

import {
  command,
  Input,
  Output,
  parallelRunFunction,
  pipeline,
  pipelineComponent,
  type PipelineInput,
  type PipelineJob,
  type StepOutput,
} from '../../../src/sdk/index.js';

const score = parallelRunFunction({
  name: 'score',
  inputs: {
    data: Input({ type: 'mltable' }),
    model: Input({ type: 'uri_folder', optional: true }),
    threshold: Input({ type: 'number', default: 0.5 }),
    label: Input({ type: 'string' }),
  },
  outputs: { scores: Output({ type: 'uri_file' }) },
  inputData: '${{inputs.data}}',
  task: { code: './src', entryScript: 'score.ts' },
});

const prep = command({
  name: 'prep',
  command: 'echo ${{outputs.table}}',
  outputs: { table: Output({ type: 'mltable' }) },
});

/** A pipeline component: its function's inputs are typed from its declared inputs. */
const scoreAll = pipelineComponent(
  { name: 'score_all', inputs: { table: Input({ type: 'mltable' }), label: Input({ type: 'string', default: 'l' }) } },
  ({ table, label }) => {
    expectTypeOf(table).toEqualTypeOf<PipelineInput<'mltable'>>();
    expectTypeOf(label).toEqualTypeOf<PipelineInput<'string'>>();
    return { scores: score({ data: table, label }).outputs.scores };
  },
);

/** Never called: its body is checked by tsc only. */
function typeChecks(data: PipelineInput<'mltable'>, count: PipelineInput<'integer'>): void {
  // @ts-expect-error an input name the component does not declare
  score({ data, label: 'x', lable: 'x' });
  // @ts-expect-error a number where a data input is expected
  score({ data: 3, label: 'x' });
  // @ts-expect-error a step output where a string literal is expected
  score({ data, label: prep().outputs.table });
  // @ts-expect-error the required input "label" is missing
  score({ data });
  // @ts-expect-error an integer pipeline input where a string is expected
  score({ data, label: count });
  // @ts-expect-error a default of the wrong type
  Input({ type: 'integer', default: 'ten' });
  // @ts-expect-error a data mode on a literal input
  Input({ type: 'string', mode: 'download' });
  // @ts-expect-error an unknown input type
  Input({ type: 'uri_folders' });
  // @ts-expect-error parallelRunFunction without inputData
  parallelRunFunction({ name: 'x', task: { entryScript: 'a.js' } });
  // @ts-expect-error a task without entryScript
  parallelRunFunction({ name: 'x', inputData: '${{inputs.d}}', task: { code: './src' } });
  // @ts-expect-error command without its command
  command({ name: 'x' });
  // @ts-expect-error an unknown logging level
  parallelRunFunction({ name: 'x', inputData: '', loggingLevel: 'TRACE', task: { entryScript: 'a.js' } });
  // @ts-expect-error the pipeline called without its declared input
  pipeline({}, ({ d }: { d: PipelineInput<'uri_folder'> }) => void d)({});
  // @ts-expect-error a literal where the pipeline declares a data input
  pipeline({}, ({ d }: { d: PipelineInput<'uri_folder'> }) => void d)({ d: 5 });
  // @ts-expect-error a pipeline component called without its required data input
  scoreAll({ label: 'x' });
  // @ts-expect-error an input name the pipeline component does not declare
  scoreAll({ table: data, lable: 'x' });
  // @ts-expect-error a pipeline component output it does not return
  void scoreAll({ table: data }).outputs.greetings;
  // @ts-expect-error a pipeline component's function using an input it does not declare
  pipelineComponent({ name: 'x', inputs: { a: Input({ type: 'uri_folder' }) } }, ({ b }) => void b);
  // Accepted: optional and defaulted inputs left out, step outputs and pipeline inputs as data.
  score({ data: prep().outputs.table, label: 'ok' });
  score({ data, label: 'ok', threshold: 0.9, model: Input({ type: 'uri_folder', path: './model' }) });
}

describe('SDK types', () => {
  it('type step outputs by their declared type and pipeline outputs by the returned keys', () => {
    void typeChecks;
    const build = pipeline({ validate: false }, ({ d }: { d: PipelineInput<'mltable'> }) => ({
      scored: score({ data: d, label: 'l' }, { name: 'score' }).outputs.scores,
    }));
    expectTypeOf(build).parameter(0).toEqualTypeOf<{ d: Input<'mltable', true> }>();
    expectTypeOf(build).returns.toEqualTypeOf<PipelineJob<{ scored: StepOutput<'uri_file'> }>>();
    expectTypeOf<ReturnType<typeof prep>['outputs']['table']>().toEqualTypeOf<StepOutput<'mltable'>>();
    expectTypeOf<ReturnType<typeof scoreAll>['outputs']['scores']>().toEqualTypeOf<StepOutput<'uri_file'>>();
  });
});
