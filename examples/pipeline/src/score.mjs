// The score step's entry script: one row per file, "<file name> <number of words>".
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';

export function init() {}

export async function run(miniBatch) {
  const rows = [];
  for (const file of miniBatch) {
    const words = (await readFile(file, 'utf8')).split(/\s+/).filter(Boolean).length;
    rows.push(`${basename(file)} ${words}`);
  }
  return rows;
}
