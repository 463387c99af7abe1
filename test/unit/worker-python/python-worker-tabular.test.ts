import { describe, expect, it } from 'vitest';

import { asResult, hidingPandas, pythonWithPandas, testPython, useWorkerFixture } from './python-worker-harness.js';

const pandasPython = pythonWithPandas();
const NO_PANDAS = 'skipped: no python3 here can import pandas (install python3-pandas or set PARAJOB_PYTHON)';

const fixture = useWorkerFixture();

const table = {
  columns: ['name', 'qty', 'note'],
  rows: [
    ['apple pie', 3, 'fresh'],
    ['kiwi', null, null],
    ['plum', 1.5, 'say "hi"'],
  ],
  source: [{ path: '/data/sales.csv', start: 0, end: 100 }],
};

describe('python worker: pandas DataFrames', () => {
  it.skipIf(pandasPython === undefined)(
    `gives tabular batches as a DataFrame and writes returned DataFrames as pandas CSV ${pandasPython ? '' : NO_PANDAS}`,
    async () => {
      const worker = fixture.start(pandasPython!);
      const script = fixture.sandbox.write(
        'code/tabular.py',
        [
          'import pandas as pd',
          'def run(mini_batch):',
          '    assert isinstance(mini_batch, pd.DataFrame), type(mini_batch)',
          '    print("dtypes", list(map(str, mini_batch.dtypes)), "qty_nan", bool(mini_batch["qty"].isna()[1]), "note_none", mini_batch["note"][1] is None)',
          '    out = mini_batch.head(2).copy()',
          '    out["qty"] = out["qty"] * 2',
          '    return out',
        ].join('\n'),
      );
      expect((await worker.request(fixture.sandbox.initMessage(script, { inputKind: 'tabular' }))).type).toBe('ready');
      const result = asResult(await worker.request({ type: 'run', miniBatchId: 0, attempt: 1, table }));
      expect(result.error).toBeUndefined();
      expect(result).toMatchObject({ total: 3, returned: 2, succeeded: 2, rowCount: 2 });
      // Space-separated, no header or index; the field with a space is quoted; NaN is an empty field.
      expect(result.rows).toBe('"apple pie" 6.0 fresh\nkiwi  \n');

      await worker.request({ type: 'shutdown' });
      await worker.waitForExit();
      expect(worker.stdout).toContain("dtypes ['object', 'float64', 'object'] qty_nan True note_none True");
    },
  );

  it.skipIf(pandasPython === undefined)(
    `quotes fields with quotes as pandas does ${pandasPython ? '' : NO_PANDAS}`,
    async () => {
      const worker = fixture.start(pandasPython!);
      const script = fixture.sandbox.write('code/quoted.py', 'def run(mini_batch):\n    return mini_batch.iloc[[2]]\n');
      await worker.request(fixture.sandbox.initMessage(script, { inputKind: 'tabular' }));
      const result = asResult(await worker.request({ type: 'run', miniBatchId: 1, attempt: 1, table }));
      expect(result.rows).toBe('plum 1.5 "say ""hi"""\n');
    },
  );

  it('reports a clear error for tabular input when the interpreter has no pandas', async () => {
    // On an interpreter that has pandas (CI's) too: the environment hides it.
    const worker = fixture.start(pandasPython ?? testPython(), hidingPandas);
    const script = fixture.sandbox.write('code/tabular.py', 'def run(mini_batch):\n    return mini_batch\n');
    expect((await worker.request(fixture.sandbox.initMessage(script, { inputKind: 'tabular' }))).type).toBe('ready');
    const result = asResult(await worker.request({ type: 'run', miniBatchId: 0, attempt: 1, table }));
    expect(result).toMatchObject({ total: 3, succeeded: 0, error: { kind: 'ModuleNotFoundError' } });
    expect(result.error?.message).toContain('tabular input needs pandas');
    expect(result.error?.message).toContain('install python3-pandas');
    expect(result.error?.message).toContain("No module named 'pandas'");
  });
});
