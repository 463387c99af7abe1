// Child process for the tabular benchmark: partitions an mltable input exactly as the coordinator's
// `partitioning` state does (load the MLTable, read its first rows, cut it into mini-batches stored
// compactly) and prints {miniBatches, ms, peakRssKb, baseRssKb, storageBytes} as JSON. A separate
// process so that its peak memory is the partitioning's alone (baseRssKb: after the imports).
// Usage: node partition-mltable.mjs <MLTable folder or file> <mini_batch_size, e.g. 1mb or "5000 rows">
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

const dist = (path) => new URL(`../../dist/src/${path}`, import.meta.url).href;
const { partitionStepInput } = await import(dist('coordinator/partition/partition-input.js'));
const { parseMiniBatchSize } = await import(dist('jobspec/mini-batch-size.js'));

const vmHwmKb = () => Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0);
const [table, sizeText] = process.argv.slice(2);
const parsed = parseMiniBatchSize(sizeText ?? '1mb');
if (!parsed.ok) throw new Error(parsed.message);
// The fields of a compiled step that partitioning reads.
const step = {
  name: 'bench',
  inputs: [{ kind: 'data', name: 'table', type: 'mltable', path: resolve(table), mode: 'ro_mount' }],
  inputData: 'table',
  miniBatchSize: parsed.size,
  partitionKeys: undefined,
};
const baseRssKb = vmHwmKb();
const started = process.hrtime.bigint();
const partition = await partitionStepInput(step);
const ms = Number(process.hrtime.bigint() - started) / 1e6;
const storageBytes = partition.kind === 'tabular' ? partition.ranges.byteLength + partition.rows.byteLength : 0;
process.stdout.write(
  JSON.stringify({ miniBatches: partition.miniBatchCount, ms, peakRssKb: vmHwmKb(), baseRssKb, storageBytes }) + '\n',
);
