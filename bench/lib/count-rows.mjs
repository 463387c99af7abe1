// Peer of the tabular job benchmark: one process, no scheduling, that streams a CSV through csv-parse
// (the parser parajob's nodes use, with the same quote rules) and counts its records. Prints
// {rows, ms} as JSON. Usage: node count-rows.mjs <file.csv>
import { createReadStream } from 'node:fs';
import { parse } from 'csv-parse';

const [file] = process.argv.slice(2);
const started = process.hrtime.bigint();
let rows = 0;
const parser = createReadStream(file).pipe(parse({ from_line: 2, relax_quotes: true, cast: true }));
for await (const record of parser) rows += record ? 1 : 0;
const ms = Number(process.hrtime.bigint() - started) / 1e6;
process.stdout.write(JSON.stringify({ rows, ms }) + '\n');
