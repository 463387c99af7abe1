import { describe, expect, it } from 'vitest';

import {
  cancelledOutcome,
  finishFailureOutcome,
  firstTaskTimeoutOutcome,
  invalidEntryScriptOutcome,
  lastNodeLeftOutcome,
  LOOK_FIRST_AT,
  nodesDetail,
  type NodesFacts,
  outcomeMessage,
  outputFailureOutcome,
  progressTimeoutOutcome,
  seconds,
  setupFailureOutcome,
  type StepOutcome,
  succeededOutcome,
  thresholdOutcome,
} from '../../../src/coordinator/step-run/outcome.js';
import { FailureKind } from '../../../src/gen/parajob/v1/parajob.js';

const AT = 1_700_000_000_000;
const INIT_ERROR = { nodeId: 'n2', processName: 'process001', message: 'ImportError: no foo\n  at line 3' };
const TWO_ATTACHED: NodesFacts = { waitingText: undefined, attached: 2, firstInitFailure: undefined };
const WAITING: NodesFacts = {
  waitingText: "waiting for 1 more node of compute 'local' (1 of 2 attached)",
  attached: 1,
  firstInitFailure: INIT_ERROR,
};

describe('step outcomes', () => {
  it.each<[string, StepOutcome, Partial<StepOutcome>]>([
    [
      'succeeded',
      succeededOutcome(AT),
      { state: 'succeeded', failureKind: FailureKind.FAILURE_KIND_UNSPECIFIED, reason: 'all mini-batches processed' },
    ],
    ['cancelled with a reason', cancelledOutcome('user asked', AT), { state: 'cancelled', reason: 'user asked' }],
    ['cancelled without one', cancelledOutcome('', AT), { state: 'cancelled', reason: 'cancelled by the user' }],
    [
      'bad input',
      setupFailureOutcome(new Error('no files under data/'), true, AT),
      {
        failureKind: FailureKind.FAILURE_KIND_INVALID_INPUT,
        reason: 'no files under data/',
        lookFirstAt: LOOK_FIRST_AT.input,
      },
    ],
    [
      'a setup fault of our own',
      setupFailureOutcome('EACCES', false, AT),
      { failureKind: FailureKind.FAILURE_KIND_INTERNAL, reason: 'EACCES', lookFirstAt: LOOK_FIRST_AT.internal },
    ],
    [
      'finishing failed',
      finishFailureOutcome(new Error('ENOSPC'), AT),
      { failureKind: FailureKind.FAILURE_KIND_INTERNAL, reason: 'writing the outputs failed: ENOSPC' },
    ],
    [
      'first task timeout',
      firstTaskTimeoutOutcome(600_000, TWO_ATTACHED, AT),
      {
        failureKind: FailureKind.FAILURE_KIND_TIMEOUT,
        reason:
          'First task creation is taking longer than 600 seconds: no mini-batch was handed to a node (2 node(s) attached).',
        lookFirstAt: LOOK_FIRST_AT.timeout,
      },
    ],
    [
      'progress timeout',
      progressTimeoutOutcome({ limitMs: 500, running: 3, finished: 4, miniBatchCount: 10 }, TWO_ATTACHED, AT),
      {
        failureKind: FailureKind.FAILURE_KIND_TIMEOUT,
        reason:
          'No progress update in 0.5 seconds. 3 mini-batch(es) were running; 4 of 10 finished; 2 node(s) attached.',
      },
    ],
    [
      'threshold',
      thresholdOutcome('mini_batch_error_threshold of 0 was exceeded', AT),
      { failureKind: FailureKind.FAILURE_KIND_THRESHOLD, lookFirstAt: LOOK_FIRST_AT.threshold },
    ],
    [
      'append_row output',
      outputFailureOutcome('out.txt', new Error('EIO'), AT),
      { failureKind: FailureKind.FAILURE_KIND_INTERNAL, reason: 'writing the append_row output out.txt failed: EIO' },
    ],
    [
      'invalid entry script',
      invalidEntryScriptOutcome(
        { entryScript: 'score.py', nodeId: 'n1', processName: 'process000', message: 'no run' },
        AT,
      ),
      {
        failureKind: FailureKind.FAILURE_KIND_INVALID_INPUT,
        reason: 'the entry script score.py cannot be used (node n1 process000): no run',
        lookFirstAt: LOOK_FIRST_AT.input,
      },
    ],
    [
      'last node left, no init failure',
      lastNodeLeftOutcome({ nodeId: 'n1', reason: 'escalated', firstInitFailure: undefined }, AT),
      {
        failureKind: FailureKind.FAILURE_KIND_NO_NODES,
        reason: 'no node serves the job any more: the last one, n1, left it (escalated)',
        lookFirstAt: LOOK_FIRST_AT.noNodes,
      },
    ],
    [
      'last node left after init failures',
      lastNodeLeftOutcome({ nodeId: 'n1', reason: 'too many init failures', firstInitFailure: INIT_ERROR }, AT),
      {
        failureKind: FailureKind.FAILURE_KIND_INIT,
        reason:
          'init() kept failing, so every node left the job (last: n1, too many init failures). The first init() error ' +
          '(node n2 process001): ImportError: no foo\n  at line 3',
        lookFirstAt: LOOK_FIRST_AT.init,
      },
    ],
  ])('%s', (_, outcome, expected) => {
    expect(outcome).toMatchObject({ state: 'failed', decidedAtMs: AT, ...expected });
  });

  it('quotes the first line of the first init() error and the node wait', () => {
    expect(nodesDetail(WAITING)).toBe(
      "still waiting for 1 more node of compute 'local' (1 of 2 attached); " +
        'the first init() error (node n2 process001): ImportError: no foo',
    );
  });

  it.each([
    [succeededOutcome(AT), { level: 'info', text: 'all mini-batches processed' }],
    [cancelledOutcome('user asked', AT), { level: 'info', text: 'cancelled: user asked' }],
    [thresholdOutcome('too many', AT), { level: 'error', text: 'failed: too many' }],
  ])('tells %o on Watch as %o', (outcome, message) => {
    expect(outcomeMessage(outcome)).toEqual(message);
  });

  it.each([
    [600_000, '600'],
    [500, '0.5'],
    [1234, '1.234'],
  ])('writes %d ms as %s seconds', (ms, text) => {
    expect(seconds(ms)).toBe(text);
  });
});
