/** The progress line and summary when the items total is not known yet (rows counted as read). */
import { describe, expect, it } from 'vitest';

import { formatProgressLine, itemsTotalText } from '../../../src/cli/progress-format.js';
import { JobState, type Progress } from '../../../src/gen/parajob/v1/parajob.js';

const PROGRESS: Progress = {
  miniBatchesTotal: 800,
  miniBatchesSucceeded: 10,
  miniBatchesFailed: 0,
  miniBatchesRunning: 4,
  itemsTotal: 0,
  itemsSucceeded: 8400,
  itemsFailed: 0,
  ratePerS: 2,
  etaMs: 1000,
  nodesActive: 2,
  nodesWanted: 2,
  retries: 0,
};

describe('an unknown items total', () => {
  it('is shown as "?" (0 with mini-batches), a known one as its number', () => {
    expect(itemsTotalText(PROGRESS)).toBe('?');
    expect(itemsTotalText({ ...PROGRESS, itemsTotal: 9000 })).toBe('9000');
    expect(itemsTotalText({ ...PROGRESS, miniBatchesTotal: 0 })).toBe('0');
  });

  it('reads items 8400/? in the progress line', () => {
    expect(formatProgressLine({ state: JobState.JOB_STATE_RUNNING, progress: PROGRESS, stateReason: '' })).toContain(
      '| items 8400/? |',
    );
  });
});
