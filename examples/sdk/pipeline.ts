/**
 * The SDK example: the pipeline of word-count.ts (built in TypeScript: a command step that writes text
 * files and a table of them, a parallel step with a TypeScript entry script over the files, a tabular
 * parallel step over the table's rows), submitted, followed to its end and its outputs read back.
 *
 *   npm run example:sdk                 runs it on this machine (runLocal: an embedded coordinator and nodes)
 *   PARAJOB_COORDINATOR=HOST:PORT npm run example:sdk
 *                                       submits it to that coordinator (nodes of compute cpu-cluster attached)
 */
import { readFile } from 'node:fs/promises';

import { JobState, type JobStatus, type JobStreamEvent, ParajobClient, runLocal } from 'parajob';

import { wordCount } from './word-count.js';

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
