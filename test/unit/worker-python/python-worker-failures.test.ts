import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { asInitFailed, asResult, useWorkerFixture } from './python-worker-harness.js';

const fixture = useWorkerFixture();

describe('python worker: run() failures', () => {
  it('reports an exception with its traceback, logs it to the error file, and serves the next run', async () => {
    const w = fixture.start();
    const script = fixture.sandbox.write(
      'code/flaky.py',
      [
        'def parse(path):',
        '    if path.endswith(".bad"):',
        '        raise ValueError(f"cannot parse {path}")',
        '    return path',
        'def run(mini_batch):',
        '    return [parse(p) for p in mini_batch]',
      ].join('\n'),
    );
    await w.request(fixture.sandbox.initMessage(script));

    const failed = asResult(await w.request({ type: 'run', miniBatchId: 3, attempt: 1, files: ['/in/x.bad'] }));
    expect(failed).toMatchObject({
      total: 1,
      returned: 0,
      succeeded: 0,
      rows: '',
      error: { kind: 'ValueError', message: 'cannot parse /in/x.bad' },
    });
    expect(failed.error?.stack).toMatch(
      /Traceback \(most recent call last\):[\s\S]*flaky\.py", line 3, in parse[\s\S]*ValueError: cannot parse \/in\/x\.bad/,
    );

    const errorLog = readFileSync(fixture.sandbox.userErrorFile(), 'utf8');
    expect(errorLog).toContain('mini-batch 3 attempt 1 (ValueError)');
    expect(errorLog).toContain('ValueError: cannot parse /in/x.bad');

    const next = asResult(await w.request({ type: 'run', miniBatchId: 4, attempt: 1, files: ['/in/ok'] }));
    expect(next).toMatchObject({ total: 1, succeeded: 1, rows: '/in/ok\n' });
    expect(next.error).toBeUndefined();
  });

  it('fails a mini-batch whose run() returns neither list, tuple nor DataFrame', async () => {
    const w = fixture.start();
    const script = fixture.sandbox.write(
      'code/wrong_type.py',
      'def run(mini_batch):\n    return {"n": len(mini_batch)}\n',
    );
    await w.request(fixture.sandbox.initMessage(script));
    const result = asResult(await w.request({ type: 'run', miniBatchId: 0, attempt: 1, files: ['/a'] }));
    expect(result).toMatchObject({
      total: 1,
      succeeded: 0,
      rows: '',
      error: { kind: 'TypeError', message: 'run() must return a list, tuple or pandas DataFrame, got dict' },
    });
  });

  it('turns sys.exit() inside run() into a failed mini-batch instead of a dead worker', async () => {
    const w = fixture.start();
    const script = fixture.sandbox.write('code/quitter.py', 'import sys\ndef run(mini_batch):\n    sys.exit(3)\n');
    await w.request(fixture.sandbox.initMessage(script));
    const result = asResult(await w.request({ type: 'run', miniBatchId: 0, attempt: 1, files: [] }));
    expect(result.error?.kind).toBe('SystemExit');
    expect(asResult(await w.request({ type: 'run', miniBatchId: 1, attempt: 1, files: [] })).error?.kind).toBe(
      'SystemExit',
    );
  });
});

describe('python worker: init failures', () => {
  it('an ImportError is an init failure the host may retry, with the traceback', async () => {
    const w = fixture.start();
    const script = fixture.sandbox.write(
      'code/needs_lib.py',
      'import no_such_library_for_parajob\ndef run(b):\n    return b\n',
    );
    const failed = asInitFailed(await w.request(fixture.sandbox.initMessage(script)));
    expect(failed.invalidEntryScript).toBe(false);
    expect(failed.error.kind).toBe('ModuleNotFoundError');
    expect(failed.error.message).toContain("No module named 'no_such_library_for_parajob'");
    expect(failed.error.stack).toMatch(/needs_lib\.py", line 1/);
    expect(readFileSync(fixture.sandbox.userErrorFile(), 'utf8')).toContain('ModuleNotFoundError');
  });

  it('an exception from init() is retryable', async () => {
    const w = fixture.start();
    const script = fixture.sandbox.write(
      'code/init_raises.py',
      'def init():\n    raise RuntimeError("GPU busy")\ndef run(b):\n    return b\n',
    );
    const failed = asInitFailed(await w.request(fixture.sandbox.initMessage(script)));
    expect(failed).toMatchObject({ invalidEntryScript: false, error: { kind: 'RuntimeError' } });
    expect(failed.error.message).toContain('GPU busy');
    expect(failed.error.stack).toMatch(/init_raises\.py", line 2, in init/);
  });

  it('a script without run() is invalid (not retryable)', async () => {
    const w = fixture.start();
    const script = fixture.sandbox.write('code/no_run.py', 'def init():\n    pass\n');
    const failed = asInitFailed(await w.request(fixture.sandbox.initMessage(script)));
    expect(failed.invalidEntryScript).toBe(true);
    expect(failed.error.kind).toBe('AttributeError');
    expect(failed.error.message).toContain(`entry script ${script} defines no run() function`);
  });

  it('a syntax error is invalid', async () => {
    const w = fixture.start();
    const script = fixture.sandbox.write('code/broken.py', 'def run(mini_batch)\n    return mini_batch\n');
    const failed = asInitFailed(await w.request(fixture.sandbox.initMessage(script)));
    expect(failed).toMatchObject({ invalidEntryScript: true, error: { kind: 'SyntaxError' } });
    expect(failed.error.stack).toContain('broken.py');
  });

  it('a missing script is invalid', async () => {
    const w = fixture.start();
    const missing = join(fixture.sandbox.root, 'code', 'nowhere.py');
    const failed = asInitFailed(await w.request(fixture.sandbox.initMessage(missing)));
    expect(failed).toMatchObject({ invalidEntryScript: true, error: { kind: 'FileNotFoundError' } });
    expect(failed.error.message).toContain(missing);
  });

  it('answers runs after a failed init with an error, and still shuts down cleanly', async () => {
    const w = fixture.start();
    const script = fixture.sandbox.write('code/no_run2.py', 'x = 1\n');
    asInitFailed(await w.request(fixture.sandbox.initMessage(script)));
    const result = asResult(await w.request({ type: 'run', miniBatchId: 0, attempt: 1, files: ['/a'] }));
    expect(result.error?.message).toContain('not initialized');
    expect(await w.request({ type: 'shutdown' })).toEqual({ type: 'shutdownDone' });
    expect(await w.waitForExit()).toBe(0);
    expect(existsSync(fixture.sandbox.userErrorFile())).toBe(true);
  });
});
