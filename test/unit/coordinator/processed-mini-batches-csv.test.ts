/** The processed mini-batches CSV line: every column in order, quoting, unknown start time, 3-decimal seconds. */
import { describe, expect, it } from 'vitest';

import {
  type AttemptRow,
  csvAttemptLine,
  csvHeaderLine,
} from '../../../src/coordinator/reports/processed-mini-batches-csv.js';

const row: AttemptRow = {
  miniBatchId: 7,
  attempt: 2,
  nodeId: 'node-1',
  processName: 'process000',
  startedAtMs: Date.UTC(2026, 0, 2, 3, 4, 5, 6),
  total: 10,
  succeeded: 9,
  failed: 1,
  elapsedMs: 1234.5,
  runMs: 2,
  status: 'RUN_DONE',
  errorCategory: 'FewerItems',
  errorMessage: 'run() returned 9 items for 10 inputs: 1 failed item(s), not retried',
};

describe('csvAttemptLine', () => {
  it('writes the columns of the header in order', () => {
    expect(csvHeaderLine().split(',')).toHaveLength(13);
    expect(csvAttemptLine(row)).toBe(
      '7,2,node-1,process000,2026-01-02T03:04:05.006Z,10,9,1,1.234,0.002,RUN_DONE,FewerItems,"run() returned 9 items for 10 inputs: 1 failed item(s), not retried"\n',
    );
  });

  it('leaves an unknown start time empty and quotes commas, quotes, line breaks and edge spaces', () => {
    const line = csvAttemptLine({
      ...row,
      startedAtMs: 0,
      nodeId: ' n',
      processName: '',
      errorCategory: 'a"b',
      errorMessage: 'x\ny',
    });
    expect(line).toBe('7,2," n",,,10,9,1,1.234,0.002,RUN_DONE,"a""b","x\ny"\n');
  });

  it('gives each row its own start time when consecutive rows differ', () => {
    const first = csvAttemptLine({ ...row, startedAtMs: 1000 });
    const second = csvAttemptLine({ ...row, startedAtMs: 2000 });
    expect(first).toContain('1970-01-01T00:00:01.000Z');
    expect(second).toContain('1970-01-01T00:00:02.000Z');
  });
});
