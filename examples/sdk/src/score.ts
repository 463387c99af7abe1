// The score step's entry script, in TypeScript (compiled with esbuild when the job starts): one row
// per file, "<file name> <number of words>".
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';

import type { EntryScriptContext, FileMiniBatch, RunFunction } from 'parajob';

export function init(context: EntryScriptContext): void {
  context.logger.info(`${context.processName} ready`);
}

export const run: RunFunction<FileMiniBatch> = async (files) => {
  const rows: string[] = [];
  for (const file of files) {
    const words = (await readFile(file, 'utf8')).split(/\s+/).filter(Boolean).length;
    rows.push(`${basename(file)} ${words}`);
  }
  return rows;
};
