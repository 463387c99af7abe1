/**
 * The JS worker hands the entry script what the public contract (src/index.ts) promises: the values
 * are checked here at run time, their types by tsc (`expectTypeOf`, `npm test` type-checks tests).
 */
import { describe, expect, expectTypeOf, it } from 'vitest';

import {
  defineEntryScript,
  type EntryScript,
  type EntryScriptContext,
  type FileMiniBatch,
  type MiniBatch,
  type MiniBatchContext,
  type RunContext as PublicRunContext,
  type TableBatch,
  type TableRow,
  type TabularMiniBatch,
} from '../../../src/index.js';
import { miniBatchOf, tableRecords } from '../../../src/worker/js/mini-batch.js';
import { createRunContext, enterMiniBatch, type RunContext } from '../../../src/worker/js/run-context.js';
import type { InitMessage } from '../../../src/worker/protocol.js';

const TABLE = {
  columns: ['id', 'name'],
  rows: [[1, 'a'], [2]],
  source: [{ path: '/data/sales.csv', start: 0, end: 42 }],
};

describe('the mini-batch run() receives', () => {
  it('file input: the paths, as a plain array (no columns)', () => {
    const { items, total } = miniBatchOf({ type: 'run', miniBatchId: 0, attempt: 1, files: ['/in/a', '/in/b'] });
    expect(items).toEqual(['/in/a', '/in/b']);
    expect(total).toBe(2);
    expect('columns' in items).toBe(false);
    expectTypeOf(items).toEqualTypeOf<MiniBatch>();
  });

  it('tabular input: one record per row (a missing cell is null), columns and source on the array', () => {
    const { items, total } = miniBatchOf({ type: 'run', miniBatchId: 0, attempt: 1, table: TABLE });
    expect(total).toBe(2);
    expect([...items]).toEqual([
      { id: 1, name: 'a' },
      { id: 2, name: null },
    ]);
    expect('columns' in items && items.columns).toEqual(['id', 'name']);
    expect('source' in items && items.source).toEqual(TABLE.source);
    expectTypeOf(tableRecords).returns.toEqualTypeOf<TabularMiniBatch>();
    expectTypeOf<FileMiniBatch>().not.toExtend<TabularMiniBatch>();
  });
});

describe('the context init(), run() and shutdown() receive', () => {
  const init: InitMessage = {
    type: 'init',
    jobId: 'job-1',
    nodeId: 'node-a',
    processName: 'process000',
    entryScript: '/code/score.mjs',
    argv: ['--flag', 'x'],
    outputDir: '/out',
    userLogFile: '/logs/user/entry_script_log/node-a/process000.log.txt',
    loggingLevel: 'INFO',
    appendRow: true,
    inputKind: 'files',
  };
  const logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

  it('is the contract’s context, its per-mini-batch fields set only for a run', () => {
    const context = createRunContext(init, logger);
    expect(context).toMatchObject({ jobId: 'job-1', nodeId: 'node-a', processName: 'process000', outputDir: '/out' });
    expect(context.argv).toEqual(['--flag', 'x']);
    expect([context.miniBatchId, context.attempt, context.partitionKeyValue]).toEqual([
      undefined,
      undefined,
      undefined,
    ]);

    enterMiniBatch(context, { type: 'run', miniBatchId: 7, attempt: 2, partitionKeyValue: { Store: 's1' } });
    expect([context.miniBatchId, context.attempt, context.partitionKeyValue]).toEqual([7, 2, { Store: 's1' }]);

    expectTypeOf<RunContext>().toExtend<EntryScriptContext>();
    expectTypeOf(context).toExtend<EntryScriptContext>();
  });
});

describe('defineEntryScript types an entry script by its items and rows', () => {
  it('is the identity at run time', () => {
    const script = { run: (files: FileMiniBatch) => files.map((file) => file.length) };
    expect(defineEntryScript<string, number>(script)).toBe(script);
  });

  it('hands run() the mini-batch of its item type and checks the rows it returns', () => {
    defineEntryScript<string, string>({
      run: (files, context) => {
        expectTypeOf(files).toEqualTypeOf<FileMiniBatch>();
        expectTypeOf(context).toEqualTypeOf<PublicRunContext>();
        expectTypeOf(context.miniBatchId).toEqualTypeOf<MiniBatchContext['miniBatchId']>();
        return files;
      },
    });
    defineEntryScript<TableRow, number>({
      run: async (rows) => {
        expectTypeOf(rows).toEqualTypeOf<TableBatch>();
        expectTypeOf(rows.columns).toEqualTypeOf<readonly string[]>();
        return rows.map(() => 1);
      },
    });
    // @ts-expect-error: rows of the wrong type
    defineEntryScript<string, string>({ run: (files) => files.map((file) => file.length) });
    // @ts-expect-error: run() must return an array of rows
    defineEntryScript<string, string>({ run: () => 'done' });
    // @ts-expect-error: items are paths or table rows
    defineEntryScript<number, string>({ run: () => [] });
    // @ts-expect-error: run is required
    defineEntryScript<string, string>({ init: () => undefined });
    expectTypeOf(defineEntryScript<string, string>).returns.toExtend<EntryScript<FileMiniBatch>>();
  });
});
