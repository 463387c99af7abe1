import { describe, expect, it } from 'vitest';

import { asResult, PythonWorker, testPython, useWorkerFixture } from './python-worker-harness.js';

const fixture = useWorkerFixture();

async function started(): Promise<PythonWorker> {
  const worker = fixture.start();
  const script = fixture.sandbox.write('code/echo.py', 'def run(mini_batch):\n    return list(mini_batch)\n');
  expect((await worker.request(fixture.sandbox.initMessage(script))).type).toBe('ready');
  return worker;
}

describe('python worker: injected faults', () => {
  it('fewer drops items from what run() returned', async () => {
    const w = await started();
    const result = asResult(
      await w.request({
        type: 'run',
        miniBatchId: 1,
        attempt: 1,
        files: ['/a', '/b', '/c'],
        fault: { action: 'fewer', drop: 2 },
      }),
    );
    expect(result).toMatchObject({ total: 3, returned: 1, succeeded: 1, rows: '/a\n' });
  });

  it('throw fails the attempt with the injected message and keeps the worker', async () => {
    const w = await started();
    const failed = asResult(
      await w.request({
        type: 'run',
        miniBatchId: 2,
        attempt: 1,
        files: ['/a'],
        fault: { action: 'throw', message: 'injected' },
      }),
    );
    expect(failed.error).toMatchObject({ kind: 'RuntimeError', message: 'injected' });
    expect(asResult(await w.request({ type: 'run', miniBatchId: 2, attempt: 2, files: ['/a'] })).succeeded).toBe(1);
  });

  it('crash kills the worker process inside run()', async () => {
    const w = await started();
    w.send({ type: 'run', miniBatchId: 3, attempt: 1, files: ['/a'], fault: { action: 'crash' } });
    expect(await w.waitForExit()).toBe('SIGKILL');
  });

  it('hang never answers until the host kills the worker', async () => {
    const w = await started();
    w.send({ type: 'run', miniBatchId: 4, attempt: 1, files: ['/a'], fault: { action: 'hang' } });
    // The worker is still alive and silent after a normal run would have answered many times over:
    // prove it by a second, independent process round trip rather than by waiting.
    const probe = new PythonWorker(testPython());
    try {
      const script = fixture.sandbox.write('code/echo2.py', 'def run(mini_batch):\n    return list(mini_batch)\n');
      expect((await probe.request(fixture.sandbox.initMessage(script))).type).toBe('ready');
      expect(asResult(await probe.request({ type: 'run', miniBatchId: 0, attempt: 1, files: ['/x'] })).succeeded).toBe(
        1,
      );
    } finally {
      probe.kill(); // also when an expectation above fails: no stray interpreter
    }
    // Nothing answered the hung run: no result, no error, no message of any kind, and it still runs.
    expect(w.unread).toEqual([]);
    expect(w.child.exitCode).toBeNull();
    w.kill();
    expect(await w.waitForExit()).toBe('SIGKILL');
    expect(w.unread).toEqual([]);
  });
});
