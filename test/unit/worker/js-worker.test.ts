import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { afterEach, beforeAll, describe, expect, it } from 'vitest';

import type { ResultMessage, WorkerMessage } from '../../../src/worker/protocol.js';
import { initFor, requireBuiltWorker, scriptDir, WorkerUnderTest } from './worker-harness.js';

const workers: WorkerUnderTest[] = [];
function startWorker(): WorkerUnderTest {
  const worker = new WorkerUnderTest();
  workers.push(worker);
  return worker;
}

function expectType<T extends WorkerMessage['type']>(
  message: WorkerMessage,
  type: T,
): Extract<WorkerMessage, { type: T }> {
  expect(message.type).toBe(type);
  return message as Extract<WorkerMessage, { type: T }>;
}

beforeAll(() => requireBuiltWorker());
afterEach(() => {
  for (const worker of workers.splice(0)) worker.kill();
});

describe('JS worker runtime', () => {
  it('runs init once, formats returned rows and counts items', async () => {
    const dir = await scriptDir({
      'score.mjs': `
        let model;
        export function init(context) {
          model = { argv: process.argv.slice(2), name: context.processName };
          context.logger.info('loaded model', model.argv.join(','));
          context.logger.debug('not at INFO');
        }
        export function run(miniBatch, context) {
          return miniBatch.map((file, i) => i === 0 ? file : i === 1 ? [file, context.miniBatchId, context.attempt] : { file, model: model.argv[3] });
        }`,
    });
    const worker = startWorker();
    worker.send(initFor(join(dir, 'score.mjs'), dir));
    const ready = expectType(await worker.next(), 'ready');
    expect(ready.pid).toBe(worker.child.pid);

    worker.send({ type: 'run', miniBatchId: 7, attempt: 2, files: ['/data/a.csv', '/data/b.csv', '/data/c.csv'] });
    const result = expectType(await worker.next(), 'result');
    expect(result).toMatchObject({ miniBatchId: 7, attempt: 2, total: 3, returned: 3, succeeded: 3, rowCount: 3 });
    expect(result.error).toBeUndefined();
    expect(result.rows).toBe('/data/a.csv\n/data/b.csv 7 2\n{"file":"/data/c.csv","model":"m1"}\n');

    const log = await readFile(join(dir, 'user', 'entry_script_log', 'node-a', 'process000.log.txt'), 'utf8');
    expect(log).toMatch(/^\d{4}-\d\d-\d\dT[^|]+\|process000\|INFO\|loaded model --logging_level,INFO,--model,m1\n$/);
  });

  it('counts fewer returned items as fewer successes and sends no rows without append_row', async () => {
    const dir = await scriptDir({ 'few.mjs': 'export const run = (batch) => batch.slice(1);' });
    const worker = startWorker();
    worker.send(initFor(join(dir, 'few.mjs'), dir, { appendRow: false }));
    expectType(await worker.next(), 'ready');
    worker.send({ type: 'run', miniBatchId: 0, attempt: 1, files: ['a', 'b', 'c'] });
    const result = expectType(await worker.next(), 'result');
    expect(result).toMatchObject({ total: 3, returned: 2, succeeded: 2, rows: '', rowCount: 0 });
  });

  it('turns a tabular batch into row records with columns and source', async () => {
    const dir = await scriptDir({
      'rows.mjs':
        'export const run = (rows) => [...rows.map((r) => `${r.id}:${r.name}`), rows.columns.join("|"), rows.source[0].path];',
    });
    const worker = startWorker();
    worker.send(initFor(join(dir, 'rows.mjs'), dir, { inputKind: 'tabular' }));
    expectType(await worker.next(), 'ready');
    worker.send({
      type: 'run',
      miniBatchId: 1,
      attempt: 1,
      table: {
        columns: ['id', 'name'],
        rows: [
          [1, 'x'],
          [2, null],
        ],
        source: [{ path: '/t.csv', start: 0, end: 20 }],
      },
    });
    const result = expectType(await worker.next(), 'result');
    expect(result).toMatchObject({ total: 2, returned: 4, succeeded: 2 });
    expect(result.rows).toBe('1:x\n2:null\nid|name\n/t.csv\n');
  });

  it('reports a throwing run() as an error result and appends its stack to the error log', async () => {
    const dir = await scriptDir({
      'boom.mjs': `export function run(batch) { if (batch.length > 1) throw new RangeError('too many: ' + batch.length); return 'nope'; }`,
    });
    const worker = startWorker();
    worker.send(initFor(join(dir, 'boom.mjs'), dir));
    expectType(await worker.next(), 'ready');

    worker.send({ type: 'run', miniBatchId: 3, attempt: 1, files: ['a', 'b'] });
    const thrown: ResultMessage = expectType(await worker.next(), 'result');
    expect(thrown.error).toMatchObject({ kind: 'RangeError', message: 'too many: 2' });
    expect(thrown.error?.stack).toContain('boom.mjs');
    expect(thrown).toMatchObject({ succeeded: 0, rows: '' });

    worker.send({ type: 'run', miniBatchId: 4, attempt: 1, files: ['a'] });
    const notArray = expectType(await worker.next(), 'result');
    expect(notArray.error).toEqual({ kind: 'TypeError', message: 'run() must return an array, got string' });

    const errorLog = await readFile(join(dir, 'user', 'error', 'node-a', 'process000.txt'), 'utf8');
    expect(errorLog).toContain('mini-batch 3 attempt 1');
    expect(errorLog).toContain('RangeError: too many: 2');
    expect(errorLog).toContain('run() must return an array, got string');
  });

  it.each([
    ['a missing file', undefined, 'EntryScriptNotFound'],
    ['a syntax error', 'export function run( {', 'SyntaxError'],
    ['no run export', 'export function init() {}', 'EntryScriptError'],
  ])('refuses %s as an invalid entry script', async (_label, source, kind) => {
    const dir = await scriptDir(source === undefined ? {} : { 'bad.mjs': source });
    const worker = startWorker();
    worker.send(initFor(join(dir, 'bad.mjs'), dir));
    const failed = expectType(await worker.next(), 'initFailed');
    expect(failed.invalidEntryScript).toBe(true);
    expect(failed.error.kind).toBe(kind);
  });

  it('reports an init() throw as a retryable init failure with its stack', async () => {
    const dir = await scriptDir({
      'init.mjs': `export function init() { throw new Error('model not found'); }\nexport function run(b) { return b; }`,
    });
    const worker = startWorker();
    worker.send(initFor(join(dir, 'init.mjs'), dir));
    const failed = expectType(await worker.next(), 'initFailed');
    expect(failed.invalidEntryScript).toBe(false);
    expect(failed.error).toMatchObject({ kind: 'Error', message: 'model not found' });
    expect(failed.error.stack).toContain('init.mjs:1');
  });

  it('calls shutdown(context), answers shutdownDone and exits', async () => {
    const dir = await scriptDir({
      'down.mjs': `import { writeFileSync } from 'node:fs';
        export const run = (b) => b;
        export function shutdown(context) { writeFileSync(context.outputDir + '.shutdown', context.processName); }`,
    });
    const worker = startWorker();
    const init = initFor(join(dir, 'down.mjs'), dir);
    worker.send(init);
    expectType(await worker.next(), 'ready');
    worker.send({ type: 'shutdown' });
    const done = expectType(await worker.next(), 'shutdownDone');
    expect(done.error).toBeUndefined();
    expect(await worker.exited).toEqual({ code: 0, signal: null });
    expect(await readFile(`${init.outputDir}.shutdown`, 'utf8')).toBe('process000');
  });

  it('exits when the host closes the protocol socket', async () => {
    const dir = await scriptDir({ 'idle.mjs': 'setInterval(() => {}, 1000); export const run = (b) => b;' });
    const worker = startWorker();
    worker.send(initFor(join(dir, 'idle.mjs'), dir));
    expectType(await worker.next(), 'ready');
    worker.closeSocket();
    expect(await worker.exited).toEqual({ code: 0, signal: null });
  });

  it('acts out injected faults: throw, fewer and crash', async () => {
    const dir = await scriptDir({ 'ok.mjs': 'export const run = (b) => b;' });
    const worker = startWorker();
    worker.send(initFor(join(dir, 'ok.mjs'), dir));
    expectType(await worker.next(), 'ready');

    worker.send({
      type: 'run',
      miniBatchId: 0,
      attempt: 1,
      files: ['a'],
      fault: { action: 'throw', message: 'chaos here' },
    });
    expect(expectType(await worker.next(), 'result').error).toMatchObject({ kind: 'Error', message: 'chaos here' });
    worker.send({
      type: 'run',
      miniBatchId: 1,
      attempt: 1,
      files: ['a', 'b', 'c'],
      fault: { action: 'fewer', drop: 2 },
    });
    expect(expectType(await worker.next(), 'result')).toMatchObject({
      total: 3,
      returned: 1,
      succeeded: 1,
      rows: 'a\n',
    });
    worker.send({ type: 'run', miniBatchId: 2, attempt: 1, files: ['a'], fault: { action: 'crash' } });
    expect(await worker.exited).toEqual({ code: null, signal: 'SIGKILL' });
  });
});
