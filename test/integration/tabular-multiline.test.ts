/**
 * A ~50 MB CSV whose quoted fields hold newlines, commas and quotes (support_multi_line: true), cut at
 * "64kb" and run on two nodes: every row reaches run() exactly once (checked by its id, with its
 * multi-line field intact) and the output holds one line per row.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { assertBuilt, killAllCli } from '../helpers/cli-process.js';
import { makeTempDir, writeText } from '../helpers/input-files.js';
import { readLines, readSummary, runTabularJob, tabularJobYaml } from '../helpers/tabular-job.js';

const TARGET_BYTES = 50 * 1024 * 1024;

let dir: string;
/** Expected length of each row's `text` field, by id. */
let textLengths: number[];

/** The `text` of row `id`: every third row spans lines, with a quoted delimiter and quotes. */
function textOf(id: number): string {
  const words = 'lorem ipsum dolor sit amet consectetur adipiscing elit'.slice(0, 10 + (id % 40));
  if (id % 3 !== 0) return `plain ${words}`;
  return `line one of ${id}\nsecond line, with a comma and "quotes"\n${words}\n`;
}

/** Writes the CSV streamed, in chunks, honouring backpressure. Returns the texts' lengths. */
async function writeCsv(path: string): Promise<number[]> {
  const out = createWriteStream(path);
  const lengths: number[] = [];
  let written = 0;
  let chunk = 'id,text,value\n';
  for (let id = 0; written < TARGET_BYTES; id++) {
    const text = textOf(id);
    lengths.push(text.length);
    chunk += `${id},"${text.replace(/"/g, '""')}",${(id * 0.5).toFixed(1)}\n`;
    if (chunk.length >= 1 << 20) {
      written += chunk.length;
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
  return lengths;
}

beforeAll(async () => {
  assertBuilt();
  dir = await makeTempDir('parajob-tabular-multiline-');
  await writeText(
    dir,
    'table/MLTable',
    'paths:\n  - file: ./data.csv\ntransformations:\n  - read_delimited:\n      delimiter: ","\n      header: all_files_same_headers\n      support_multi_line: true\n',
  );
  textLengths = await writeCsv(join(dir, 'table', 'data.csv'));
  // One output row per input row: the id, the length run() saw for its multi-line text, the node.
  await writeText(
    dir,
    'code/ids.mjs',
    'export function run(rows, context) { return rows.map((row) => [row.id, row.text.length, context.nodeId]); }\n',
  );
}, 60_000);

afterAll(async () => {
  await killAllCli();
});

describe('a 50 MB multi-line CSV cut at 64kb on two nodes', () => {
  it('every row reaches run() exactly once, intact, and the output has one line per row', async () => {
    const yaml = tabularJobYaml({
      miniBatchSize: '"64kb"',
      instanceCount: 2,
      maxConcurrencyPerInstance: 2,
      entryScript: 'ids.mjs',
    });
    const { cli, runDir } = await runTabularJob(dir, 'multiline', yaml, 55_000);
    expect(cli.exit?.code, cli.describeOutput()).toBe(0);

    const lines = await readLines(join(dir, 'out', 'result.txt'));
    expect(lines.length).toBe(textLengths.length);
    const seen = new Uint8Array(textLengths.length);
    const nodes = new Set<string>();
    const problems: string[] = [];
    for (const line of lines) {
      const [idText, lengthText, node] = line.split(' ');
      const id = Number(idText);
      if (!Number.isInteger(id) || id < 0 || id >= textLengths.length) problems.push(`unknown id in "${line}"`);
      else if ((seen[id] = (seen[id] ?? 0) + 1) > 1) problems.push(`id ${id} seen twice`);
      else if (Number(lengthText) !== textLengths[id])
        problems.push(`id ${id}: text of ${lengthText} characters, expected ${textLengths[id]}`);
      nodes.add(node ?? '');
      if (problems.length > 5) break;
    }
    expect(problems).toEqual([]);
    expect(seen.every((count) => count === 1)).toBe(true);
    expect(nodes.size).toBe(2);

    const summary = await readSummary(runDir);
    // 50 MB in 64 KiB ranges: about 800 mini-batches; rows counted as read, exact at the end.
    expect(summary.miniBatches.total).toBeGreaterThanOrEqual(790);
    expect(summary.items).toEqual({ total: textLengths.length, succeeded: textLengths.length, failed: 0 });
  }, 60_000);
});
