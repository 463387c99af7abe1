/**
 * The SDK example: a pipeline built in TypeScript, a command step that writes text files and a table
 * of them (a CSV file and its MLTable), a parallel step (a TypeScript entry script) that counts the
 * words of each file, and a tabular parallel step that reads the table's rows (mode `direct`, a few
 * rows per mini-batch), submitted, followed to its end and its outputs read back.
 *
 *   npm run example:sdk                 runs it on this machine (runLocal: an embedded coordinator and nodes)
 *   PARAJOB_COORDINATOR=HOST:PORT npm run example:sdk
 *                                       submits it to that coordinator (nodes of compute cpu-cluster attached)
 */
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

import {
  command,
  Input,
  JobState,
  type JobStatus,
  type JobStreamEvent,
  Output,
  ParajobClient,
  parallelRunFunction,
  pipeline,
  type PipelineInput,
  runLocal,
} from 'parajob';

/** This file's folder (npm run example:sdk runs a compiled copy beside it): the code folder is here. */
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

const wordCount = pipeline(
  { name: 'sdk_word_count', defaultCompute: 'cpu-cluster', forceRerun: true, baseDir: here },
  ({ count }: { count: PipelineInput<'integer'> }) => {
    const prepared = prepare({ count }).outputs;
    return {
      scores: score({ documents: prepared.documents }).outputs.scores,
      greetings: scoreTable({ table: prepared.table }).outputs.greetings,
    };
  },
);

/** Prints each step as it starts and ends. */
function show(event: JobStreamEvent): void {
  if (event.type === 'stepStarted') console.log(`step ${event.step.name} started`);
  if (event.type === 'stepEnded') console.log(`step ${event.step.name} ended`);
}

async function main(): Promise<number> {
  const job = wordCount({ count: 10 });
  let status: JobStatus;
  const address = process.env.PARAJOB_COORDINATOR;
  if (address) {
    const client = new ParajobClient({ address });
    try {
      const { jobId } = await client.jobs.createOrUpdate(job, { experimentName: 'sdk-example' });
      console.log(`submitted ${jobId} to ${address}`);
      for await (const event of client.jobs.stream(jobId)) show(event);
      status = await client.jobs.get(jobId);
    } finally {
      client.close();
    }
  } else {
    ({ status } = await runLocal(job, { dataDir: process.env.PARAJOB_DATA_DIR ?? '.parajob', onEvent: show }));
  }
  const scores = status.outputs.find((output) => output.name === 'scores');
  const greetings = status.outputs.find((output) => output.name === 'greetings');
  if (status.state !== JobState.JOB_STATE_SUCCEEDED || !scores || !greetings) {
    console.error(`the job ended ${JobState[status.state]}; see ${status.resultFile}`);
    return 1;
  }
  const rows = (await readFile(scores.path, 'utf8')).split('\n').filter(Boolean).sort();
  console.log(`${rows.length} documents scored (${scores.path}):`);
  for (const row of rows) console.log(`  ${row}`);
  const lines = (await readFile(greetings.path, 'utf8')).split('\n').filter(Boolean).sort();
  console.log(`${lines.length} table rows read (${greetings.path}):`);
  for (const line of lines) console.log(`  ${line}`);
  return 0;
}

process.exitCode = await main();
