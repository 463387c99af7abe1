// The table step's entry script, in TypeScript: its mini-batches are rows of documents.csv (read by
// the MLTable the prepare step wrote), one output row per input row, "<document> <greeting x times>".
import type { RunFunction, TabularMiniBatch } from 'parajob';

export const run: RunFunction<TabularMiniBatch> = (rows) =>
  rows.map(
    (row) => `${String(row.document)} ${Array.from({ length: Number(row.times) }, () => row.greeting).join('-')}`,
  );
