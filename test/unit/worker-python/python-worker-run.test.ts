import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { asResult, useWorkerFixture } from './python-worker-harness.js';

const fixture = useWorkerFixture();

describe('python worker: file-list mini-batches', () => {
  it('returns one row per returned item, formatted as str(item) + newline', async () => {
    const w = fixture.start();
    const script = fixture.sandbox.write(
      'code/score.py',
      [
        'import os',
        'def run(mini_batch):',
        '    return [f"{os.path.basename(p)},{os.path.getsize(p)}" for p in mini_batch] + [{"k": 1}, 2.5, None]',
      ].join('\n'),
    );
    const files = [fixture.sandbox.write('in/a.txt', 'aaa'), fixture.sandbox.write('in/b.txt', 'bbbbb')];

    const ready = await w.request(fixture.sandbox.initMessage(script));
    expect(ready).toEqual({ type: 'ready', pid: w.child.pid });

    const result = asResult(await w.request({ type: 'run', miniBatchId: 7, attempt: 2, files }));
    expect(result).toMatchObject({ miniBatchId: 7, attempt: 2, total: 2, returned: 5, succeeded: 2, rowCount: 5 });
    expect(result.rows).toBe("a.txt,3\nb.txt,5\n{'k': 1}\n2.5\nNone\n");
    expect(result.runMs).toBeGreaterThanOrEqual(0);
    expect(result.error).toBeUndefined();
  });

  it('counts fewer returned items as fewer successes', async () => {
    const w = fixture.start();
    const script = fixture.sandbox.write('code/half.py', 'def run(mini_batch):\n    return tuple(mini_batch[::2])\n');
    await w.request(fixture.sandbox.initMessage(script));
    const files = ['/x/1', '/x/2', '/x/3', '/x/4', '/x/5'];
    const result = asResult(await w.request({ type: 'run', miniBatchId: 0, attempt: 1, files }));
    expect(result).toMatchObject({ total: 5, returned: 3, succeeded: 3, rows: '/x/1\n/x/3\n/x/5\n', rowCount: 3 });
  });

  it('sends no rows when append_row is off, but still counts', async () => {
    const w = fixture.start();
    const script = fixture.sandbox.write('code/summary.py', 'def run(mini_batch):\n    return list(mini_batch)\n');
    await w.request(fixture.sandbox.initMessage(script, { appendRow: false }));
    const result = asResult(await w.request({ type: 'run', miniBatchId: 1, attempt: 1, files: ['/a', '/b'] }));
    expect(result).toMatchObject({ total: 2, returned: 2, succeeded: 2, rows: '', rowCount: 0 });
  });

  it('gives argparse (parse_known_args, allow_abbrev=False) both user and system arguments', async () => {
    const w = fixture.start();
    const script = fixture.sandbox.write(
      'code/args.py',
      [
        'import argparse, sys',
        'parser = argparse.ArgumentParser(allow_abbrev=False)',
        'parser.add_argument("--model_name", required=True)',
        'parser.add_argument("--logging_level")',
        'args, unknown = parser.parse_known_args()',
        'def run(mini_batch):',
        '    return [args.model_name, args.logging_level, " ".join(unknown), sys.argv[0]]',
      ].join('\n'),
    );
    const argv = ['--logging_level', 'DEBUG', '--mini_batch_size', '10', '--model', 'short', '--model_name', 'resnet'];
    await w.request(fixture.sandbox.initMessage(script, { argv }));
    const result = asResult(await w.request({ type: 'run', miniBatchId: 0, attempt: 1, files: [] }));
    // allow_abbrev=False: "--model" must not be taken for "--model_name"; it stays unknown.
    expect(result.rows).toBe(`resnet\nDEBUG\n--mini_batch_size 10 --model short\n${script}\n`);
  });

  it('passes mini_batch_context to a two-argument run()', async () => {
    const w = fixture.start();
    const script = fixture.sandbox.write(
      'code/partitioned.py',
      [
        'def run(mini_batch, mini_batch_context):',
        '    c = mini_batch_context',
        '    return [sorted(c.partition_key_value.items()), c.minibatch_index, c.mini_batch_id, c.attempt]',
      ].join('\n'),
    );
    await w.request(fixture.sandbox.initMessage(script));
    const result = asResult(
      await w.request({
        type: 'run',
        miniBatchId: 4,
        attempt: 3,
        files: ['/p'],
        partitionKeyValue: { store: 'S1', brand: 'tropicana' },
      }),
    );
    expect(result.rows).toBe("[('brand', 'tropicana'), ('store', 'S1')]\n4\n4\n3\n");
  });

  it('sets up the working folder, sys.path, AZUREML_BI_OUTPUT_PATH and the EntryScript helper', async () => {
    const w = fixture.start();
    fixture.sandbox.write('code/helper_module.py', 'GREETING = "hello from a sibling module"\n');
    const script = fixture.sandbox.write(
      'code/entry.py',
      [
        'import logging, os',
        'from azureml_user.parallel_run import EntryScript',
        'import helper_module',
        'state = {}',
        'def init():',
        '    state["first"] = EntryScript()',
        '    state["first"].logger.info("model loaded")',
        '    state["first"].logger.debug("hidden at INFO")',
        'def run(mini_batch):',
        '    es = EntryScript()',
        '    es.logger.warning("batch of %d", len(mini_batch))',
        '    logging.getLogger("user").info("root logging line")',
        '    print("printed line")',
        '    return [es is state["first"], es.agent_name, es.output_dir, es.log_dir, es.working_dir == os.getcwd(),',
        '            os.environ["AZUREML_BI_OUTPUT_PATH"], helper_module.GREETING]',
      ].join('\n'),
    );
    await w.request(
      fixture.sandbox.initMessage(script, {
        processName: 'process003',
        userLogFile: fixture.sandbox.userLogFile('0', 'process003'),
      }),
    );
    const result = asResult(await w.request({ type: 'run', miniBatchId: 0, attempt: 1, files: ['/a', '/b'] }));
    const logDir = join(fixture.sandbox.logDir, 'user', 'entry_script_log', '0');
    expect(result.rows).toBe(
      [
        'True',
        'process003',
        fixture.sandbox.outputDir,
        logDir,
        'True',
        fixture.sandbox.outputDir,
        'hello from a sibling module',
        '',
      ].join('\n'),
    );

    const logLines = readFileSync(fixture.sandbox.userLogFile('0', 'process003'), 'utf8').trimEnd().split('\n');
    expect(logLines).toHaveLength(2);
    expect(logLines[0]).toMatch(
      /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}\|ParallelRunStep\|init\(\)\|INFO\|model loaded$/,
    );
    expect(logLines[1]).toMatch(/\|ParallelRunStep\|run\(\)\|WARNING\|batch of 2$/);

    await w.request({ type: 'shutdown' });
    await w.waitForExit();
    expect(w.stdout).toContain('printed line');
    expect(w.stdout).toMatch(/\|user\|INFO\|root logging line/);
    expect(w.stdout).not.toContain('batch of 2');
  });

  it('answers back-to-back runs in order, one result each', async () => {
    const w = fixture.start();
    const script = fixture.sandbox.write(
      'code/echo.py',
      'def run(mini_batch, ctx):\n    return [ctx.minibatch_index] * len(mini_batch)\n',
    );
    await w.request(fixture.sandbox.initMessage(script));
    const count = 300;
    // All frames in one write: the worker must split merged frames exactly.
    const frames = Array.from({ length: count }, (_, id) => ({
      type: 'run' as const,
      miniBatchId: id,
      attempt: 1,
      files: ['/f'.repeat(id % 5)],
    }));
    for (const frame of frames) w.send(frame);
    for (let id = 0; id < count; id++) {
      const result = asResult(await w.next());
      expect(result.miniBatchId).toBe(id);
      expect(result.rows).toBe(`${id}\n`);
    }
  });

  it('calls shutdown() and exits 0 after answering', async () => {
    const w = fixture.start();
    const marker = join(fixture.sandbox.root, 'shutdown-called.txt');
    const script = fixture.sandbox.write(
      'code/closer.py',
      [
        'def run(mini_batch):',
        '    return []',
        'def shutdown():',
        `    open(${JSON.stringify(marker)}, "w").write("bye")`,
      ].join('\n'),
    );
    await w.request(fixture.sandbox.initMessage(script));
    expect(await w.request({ type: 'shutdown' })).toEqual({ type: 'shutdownDone' });
    expect(await w.waitForExit()).toBe(0);
    expect(readFileSync(marker, 'utf8')).toBe('bye');
  });

  it('still runs shutdown() when the host hangs up right after sending it', async () => {
    const w = fixture.start();
    const marker = join(fixture.sandbox.root, 'late-shutdown.txt');
    const script = fixture.sandbox.write(
      'code/late_closer.py',
      [
        'def run(mini_batch):',
        '    return []',
        'def shutdown():',
        `    open(${JSON.stringify(marker)}, "w").write("done")`,
      ].join('\n'),
    );
    await w.request(fixture.sandbox.initMessage(script));
    w.send({ type: 'shutdown' });
    w.closeSocket();
    expect(await w.waitForExit()).toBe(0);
    expect(readFileSync(marker, 'utf8')).toBe('done');
  });

  it('reports a failing shutdown() and still exits 0', async () => {
    const w = fixture.start();
    const script = fixture.sandbox.write(
      'code/bad_closer.py',
      'def run(b):\n    return b\ndef shutdown():\n    raise OSError("disk gone")\n',
    );
    await w.request(fixture.sandbox.initMessage(script));
    const done = await w.request({ type: 'shutdown' });
    expect(done).toMatchObject({ type: 'shutdownDone', error: { kind: 'OSError', message: 'disk gone' } });
    expect(await w.waitForExit()).toBe(0);
  });

  it('exits promptly when the host closes the socket, even while run() is busy', async () => {
    const w = fixture.start();
    const started = join(fixture.sandbox.root, 'started.txt');
    const script = fixture.sandbox.write(
      'code/slow.py',
      [
        'import threading',
        'def run(mini_batch):',
        `    open(${JSON.stringify(started)}, "w").close()`,
        '    threading.Event().wait(600)',
        '    return mini_batch',
      ].join('\n'),
    );
    await w.request(fixture.sandbox.initMessage(script));
    w.send({ type: 'run', miniBatchId: 0, attempt: 1, files: [] });
    await expect.poll(() => existsSync(started), { timeout: 10_000 }).toBe(true);
    w.closeSocket();
    expect(await w.waitForExit()).toBe(0);
  });
});
