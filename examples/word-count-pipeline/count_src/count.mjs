// The parallel step's entry script: one row "<file> <words>" per file of the mini-batch.
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';

export function init() {}

export async function run(miniBatch) {
  const rows = [];
  for (const file of miniBatch) {
    const words = (await readFile(file, 'utf8')).split(/\s+/).filter((word) => word !== '').length;
    rows.push(`${basename(file)} ${words}`);
  }
  return rows;
}
