/**
 * The SDK example's pipeline, built in TypeScript: a command step that writes text files and a table
 * of them (a CSV file and its MLTable), a parallel step (a TypeScript entry script) that counts the
 * words of each file, and a tabular parallel step that reads the table's rows (mode `direct`, a few
 * rows per mini-batch). pipeline.ts submits it and reads its outputs; a test imports it as well.
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

import { command, Input, Output, parallelRunFunction, pipeline, type PipelineInput } from 'parajob';

/** This file's folder (npm run example:sdk bundles it beside itself): the code folder is here. */
const here = dirname(fileURLToPath(import.meta.url));

const prepare = command({
  name: 'prepare',
  code: './src',
  command: 'sh prepare.sh ${{inputs.count}} ${{outputs.documents}} ${{outputs.table}}',
  inputs: { count: Input({ type: 'integer' }) },
  outputs: { documents: Output({ type: 'uri_folder' }), table: Output({ type: 'mltable' }) },
});

const score = parallelRunFunction({
  name: 'score',
  inputs: { documents: Input({ type: 'uri_folder' }) },
  outputs: { scores: Output({ type: 'uri_file' }) },
  inputData: '${{inputs.documents}}',
  miniBatchSize: 4,
  instanceCount: 2,
  maxConcurrencyPerInstance: 2,
  task: { code: './src', entryScript: 'score.ts', appendRowTo: '${{outputs.scores}}' },
});

/** Tabular: the table's rows, 3 per mini-batch, each row to one output line. */
const scoreTable = parallelRunFunction({
  name: 'score_table',
  inputs: { table: Input({ type: 'mltable', mode: 'direct' }) },
  outputs: { greetings: Output({ type: 'uri_file' }) },
  inputData: '${{inputs.table}}',
  miniBatchSize: '3 rows',
  instanceCount: 2,
  task: { code: './src', entryScript: 'score-table.ts', appendRowTo: '${{outputs.greetings}}' },
});

/**
 * The pipeline: called with the number of documents to write, it builds the job. `forceRerun`: a
 * second `npm run example:sdk` runs every step again instead of reusing the first run's.
 */
export const wordCount = pipeline(
  { name: 'sdk_word_count', defaultCompute: 'cpu-cluster', forceRerun: true, baseDir: here },
  ({ count }: { count: PipelineInput<'integer'> }) => {
    const prepared = prepare({ count }).outputs;
    return {
      scores: score({ documents: prepared.documents }).outputs.scores,
      greetings: scoreTable({ table: prepared.table }).outputs.greetings,
    };
  },
);
