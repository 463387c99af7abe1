/**
 * The append_row output is published by rename (src/coordinator/output/publish-file.ts): while the
 * step runs its rows go to a hidden partial file beside the output; an existing output stays as it
 * was until the step succeeds, and a failed or cancelled step leaves it as it was (its rows stay in
 * the partial file, which summary.json names). A step resumed after a coordinator restart cuts the
 * partial file back to its journaled end.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { MiniBatchState } from '../../../src/coordinator/ledger/ledger.js';
import { partialPathOf } from '../../../src/coordinator/output/publish-file.js';
import { ErrorDigest } from '../../../src/coordinator/reports/error-digest.js';
import { csvHeaderLine } from '../../../src/coordinator/reports/processed-mini-batches-csv.js';
import {
  cancelledOutcome,
  failedOutcome,
  LOOK_FIRST_AT,
  type StepOutcome,
  succeededOutcome,
} from '../../../src/coordinator/step-run/outcome.js';
import type { StepReport } from '../../../src/coordinator/step-run/report.js';
import { openStepSinks } from '../../../src/coordinator/step-run/sinks.js';
import { FailureKind } from '../../../src/gen/parajob/v1/parajob.js';
import { runDirLayout } from '../../../src/log/layout.js';
import { makeStep } from './support/step-fixture.js';

let root: string;
let output: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'parajob-sinks-'));
  output = join(root, 'out', 'rows.txt');
  await mkdir(join(root, 'out'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

function reportOf(outcome: StepOutcome): StepReport {
  return {
    jobId: 'job-1',
    stepName: 'score',
    runDir: join(root, 'run'),
    outcome,
    startedAtMs: 0,
    endedAtMs: 1,
    miniBatchCount: 1,
    itemsTotal: 2,
    counts: undefined,
    nodes: [],
    appendRowFile: output,
    errors: new ErrorDigest(),
  };
}

const rows = (text: string) => new TextEncoder().encode(text);
const failed = () => failedOutcome(FailureKind.FAILURE_KIND_THRESHOLD, 'too many', LOOK_FIRST_AT.internal, 1);

describe('the append_row output, published by rename', () => {
  it('writes beside the output while running and replaces an existing output only when the step succeeds', async () => {
    await writeFile(output, 'the previous run\n');
    const sinks = await openStepSinks(makeStep({ runDir: join(root, 'run'), appendRowFile: output }), 'job-1');
    sinks.appendRows(rows('a\nb\n'));
    await sinks.syncOutput();
    expect(await readFile(output, 'utf8')).toBe('the previous run\n');
    expect(await readFile(partialPathOf(output), 'utf8')).toBe('a\nb\n');
    await sinks.finish(reportOf(succeededOutcome(1)));
    expect(await readFile(output, 'utf8')).toBe('a\nb\n');
    expect(await readdir(join(root, 'out'))).toEqual(['rows.txt']);
  });

  it.each([
    ['failed', failed],
    ['cancelled', () => cancelledOutcome('user asked', 1)],
  ])('a %s step leaves the existing output as it was; its rows stay in the partial file', async (_state, outcome) => {
    await writeFile(output, 'the previous run\n');
    const sinks = await openStepSinks(makeStep({ runDir: join(root, 'run'), appendRowFile: output }), 'job-1');
    sinks.appendRows(rows('half\n'));
    await sinks.finish(reportOf(outcome()));
    expect(await readFile(output, 'utf8')).toBe('the previous run\n');
    expect(await readFile(partialPathOf(output), 'utf8')).toBe('half\n');
    const summary = JSON.parse(await readFile(runDirLayout(join(root, 'run')).summaryJson, 'utf8')) as Record<
      string,
      unknown
    >;
    expect(summary['unpublishedRows']).toBe(partialPathOf(output));
  });

  it('a failed step with no previous output creates none; the next run starts its partial file afresh', async () => {
    const first = await openStepSinks(makeStep({ runDir: join(root, 'run'), appendRowFile: output }), 'job-1');
    first.appendRows(rows('half\n'));
    await first.finish(reportOf(failed()));
    expect(existsSync(output)).toBe(false);
    const second = await openStepSinks(makeStep({ runDir: join(root, 'run-2'), appendRowFile: output }), 'job-2');
    expect(second.outputEnd).toBe(0);
    second.appendRows(rows('whole\n'));
    await second.finish(reportOf(succeededOutcome(1)));
    expect(await readFile(output, 'utf8')).toBe('whole\n');
    expect(await readdir(join(root, 'out'))).toEqual(['rows.txt']);
  });

  it('a resumed step cuts the partial file back to its journaled end and appends to it', async () => {
    await writeFile(output, 'the previous run\n');
    await writeFile(partialPathOf(output), 'a\nb\nrows of a result that never counted\n');
    const step = makeStep({ runDir: join(root, 'run'), appendRowFile: output });
    const sinks = await openStepSinks(step, 'job-1', 4);
    expect(sinks.outputEnd).toBe(4);
    sinks.appendRows(rows('c\n'));
    await sinks.finish(reportOf(succeededOutcome(1)));
    expect(await readFile(output, 'utf8')).toBe('a\nb\nc\n');
    expect(existsSync(partialPathOf(output))).toBe(false);
  });

  it('a step resumed after it published (the coordinator stopped before recording its end) publishes again', async () => {
    await writeFile(output, 'a\nb\n');
    const step = makeStep({ runDir: join(root, 'run'), appendRowFile: output });
    const sinks = await openStepSinks(step, 'job-1', 4);
    expect(sinks.outputEnd).toBe(4);
    await sinks.finish(reportOf(succeededOutcome(1)));
    expect(await readFile(output, 'utf8')).toBe('a\nb\n');
  });

  it('a resumed step reconciles its reports with the journaled ledger before it appends to them', async () => {
    const layout = runDirLayout(join(root, 'run'));
    await mkdir(dirname(layout.summaryJson), { recursive: true });
    // Before the crash: mini-batch 0 done (journaled), 1's completion not journaled, a torn overview
    // line, and the end-of-step files of a finish whose end the journal never held.
    await writeFile(
      layout.processedMiniBatchesCsv,
      `${csvHeaderLine()}0,1,n1,p0,,2,2,0,0.010,0.010,RUN_DONE,,\n1,1,n1,p0,,2,2,0,0.010,0.010,RUN_DONE,,\n`,
    );
    await writeFile(layout.progressOverview, '2026-01-01T00:00:00.000Z Processed 2 of 2 mini batches\n2026-01-01T00:0');
    for (const path of [layout.jobResult, layout.summaryJson]) await writeFile(path, 'succeeded\n');
    await writeFile(partialPathOf(output), '');
    const journaled = {
      miniBatchCount: 2,
      states: Uint8Array.from([MiniBatchState.succeeded, MiniBatchState.leased]),
      attempts: Uint32Array.from([1, 1]),
    };
    const step = makeStep({ runDir: join(root, 'run'), appendRowFile: output });
    const sinks = await openStepSinks(step, 'job-1', 0, journaled);
    expect(sinks.reconciled).toEqual({ kept: 1, dropped: 1, recovered: 0, overviewCut: 15, staleResultFiles: 2 });
    expect(await readFile(layout.processedMiniBatchesCsv, 'utf8')).toBe(
      `${csvHeaderLine()}0,1,n1,p0,,2,2,0,0.010,0.010,RUN_DONE,,\n`,
    );
    expect(await readFile(layout.progressOverview, 'utf8')).toBe(
      '2026-01-01T00:00:00.000Z Processed 2 of 2 mini batches\n',
    );
    expect(existsSync(layout.jobResult) || existsSync(layout.summaryJson)).toBe(false);
    sinks.overview('resumed', 0);
    await sinks.finish(reportOf(cancelledOutcome('stop', 1)));
    expect(await readFile(layout.progressOverview, 'utf8')).toMatch(
      /mini batches\n1970-01-01T00:00:00\.000Z resumed\n$/,
    );
  });
});
