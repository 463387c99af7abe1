import { describe, expect, it } from 'vitest';

import { readPredefinedArguments, splitProgramArguments } from '../../../src/jobspec/program-arguments.js';

describe('splitProgramArguments', () => {
  it.each([
    ['--a 1 --b two', ['--a', '1', '--b', 'two']],
    [`--name "two words" --q 'single quoted'`, ['--name', 'two words', '--q', 'single quoted']],
    ['  --x=1   \n  --y  ', ['--x=1', '--y']],
    [String.raw`--path a\ b`, ['--path', 'a b']],
    ['', []],
  ])('%j → %j', (text, words) => {
    expect(splitProgramArguments(text)).toEqual({ ok: true, words });
  });

  it('refuses an unclosed quote', () => {
    expect(splitProgramArguments('--a "open')).toEqual({ ok: false, message: expect.stringContaining('cannot split') });
  });
});

describe('readPredefinedArguments', () => {
  it.each([
    [['--error_threshold', '5'], { errorThreshold: 5 }],
    [['--error_threshold=2.1'], { errorThreshold: 3 }],
    [['--error_threshold', '-1'], { errorThreshold: -1 }],
    [['--allowed_failed_percent', '12.5'], { allowedFailedPercent: 12.5 }],
    [['--task_overhead_timeout', '120'], { taskOverheadTimeoutS: 120 }],
    [['--progress_update_timeout=900'], { progressUpdateTimeoutS: 900 }],
    [['--first_task_creation_timeout', '1200'], { firstTaskCreationTimeoutS: 1200 }],
    [['--resource_monitor_interval', '0'], { resourceMonitorIntervalS: 0 }],
    [['--copy_logs_to_parent', 'True'], { copyLogsToParent: true }],
    [['--copy_logs_to_parent', 'no'], { copyLogsToParent: false }],
    [['--push_metrics_to_parent'], { pushMetricsToParent: true }],
    [
      ['--push_metrics_to_parent', '--metrics_name_prefix', 'p_'],
      { pushMetricsToParent: true, metricsNamePrefix: 'p_' },
    ],
    [['--error_threshold', '1', '--error_threshold', '4'], { errorThreshold: 4 }],
    [['--model', 'm', 'positional', '--other', '3'], {}],
  ] as const)('%j → %j', (words, values) => {
    expect(readPredefinedArguments(words)).toEqual({ values, problems: [], nearMisses: [] });
  });

  it.each([
    [['--error_threshold', '-2'], '--error_threshold "-2" is invalid: expected an integer ≥ -1'],
    [['--error_threshold', 'many'], '--error_threshold "many" is invalid'],
    [
      ['--allowed_failed_percent', '101'],
      '--allowed_failed_percent "101" is invalid: expected a percentage in [0, 100]',
    ],
    [['--task_overhead_timeout', '0'], '--task_overhead_timeout "0" is invalid: expected seconds in (0, 259200]'],
    [
      ['--progress_update_timeout', '259201'],
      '--progress_update_timeout "259201" is invalid: expected seconds in (0, 259200]',
    ],
    [['--first_task_creation_timeout=-3'], '--first_task_creation_timeout "-3" is invalid'],
    [
      ['--resource_monitor_interval', '1.5'],
      '--resource_monitor_interval "1.5" is invalid: expected whole seconds ≥ 0',
    ],
    [['--copy_logs_to_parent', 'maybe'], '--copy_logs_to_parent "maybe" is invalid: expected True or False'],
    [['--metrics_name_prefix'], '--metrics_name_prefix needs a value'],
  ] as const)('%j is a problem naming the argument and range', (words, problem) => {
    const read = readPredefinedArguments(words);
    expect(read.problems).toEqual([expect.stringContaining(problem)]);
    expect(read.values).toEqual({});
  });

  it("notes a near miss such as the official example's --resource_monitor_interva", () => {
    const read = readPredefinedArguments(['--resource_monitor_interva', '20']);
    expect(read.values).toEqual({});
    expect(read.nearMisses).toEqual([expect.stringContaining('did you mean "--resource_monitor_interval"')]);
  });
});
