// Child process for the tabular benchmark: cuts one CSV into byte ranges with parajob's cutter (as the
// coordinator does) and prints {ranges, ms, peakRssKb} as JSON. A separate process so that its peak
// memory is the cutter's alone.
// Usage: node cut-file.mjs <file.csv> <bytesPerMiniBatch> <supportMultiLine 0|1>
import { readFileSync } from 'node:fs';

const { cutByBytes } = await import(new URL('../../dist/src/input/tabular/index.js', import.meta.url).href);
const [file, size, multiLine] = process.argv.slice(2);
const reader = {
  format: 'delimited',
  delimiter: ',',
  header: 'all_files_same_headers',
  encoding: 'utf8',
  emptyAsString: false,
  includePathColumn: false,
  supportMultiLine: multiLine === '1',
  inferColumnTypes: true,
};
const started = process.hrtime.bigint();
let ranges = 0;
for await (const range of cutByBytes(file, Number(size), reader)) ranges += range ? 1 : 0;
const ms = Number(process.hrtime.bigint() - started) / 1e6;
const peakRssKb = Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0);
process.stdout.write(JSON.stringify({ ranges, ms, peakRssKb }) + '\n');
