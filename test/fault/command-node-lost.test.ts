/**
 * A node lost while it runs a command step, over real processes (a coordinator and node processes
 * started through bin/parajob.js; a node silent for 1 s is lost): the node and its command are
 * SIGKILLed halfway through writing the step's output; the step runs again on another node, whose
 * run starts from an empty output folder, so the consumer sees one complete output, nothing the lost
 * run half-wrote and nothing twice.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { afterEach, beforeAll, describe, expect, it } from 'vitest';

import { FaultCluster } from '../../cluster/fault/fault-cluster.js';
import { JobState, StepState } from '../../src/gen/parajob/v1/parajob.js';
import { assertBuilt } from '../helpers/cli-process.js';
import { makeTempDir } from '../helpers/input-files.js';
import { firstLogMatch } from './support.js';

describe('a node lost during a command step', () => {
  let cluster: FaultCluster | undefined;

  beforeAll(() => assertBuilt());

  afterEach(async () => {
    await cluster?.stop();
    cluster = undefined;
  });

  it('runs the step again on another node; the output is whole and written once', async () => {
    const dir = await makeTempDir('parajob-command-node-lost-');
    const go = join(dir, 'go');
    // Each run notes itself in the output, says so with its process group, then waits (bounded) for
    // the go file before it writes the rest.
    const spec = join(dir, 'p.yml');
    await writeFile(
      spec,
      `type: pipeline
settings:
  default_compute: azureml:cpu
jobs:
  write:
    command: >-
      echo run >> \${{outputs.out}}/runs.txt;
      echo "HALF $$";
      i=0; while [ ! -f ${go} ]; do i=$((i+1)); [ $i -gt 600 ] && exit 9; sleep 0.05; done;
      echo whole > \${{outputs.out}}/result.txt
    outputs:
      out: { type: uri_folder }
  read:
    command: cat \${{inputs.x}}/runs.txt \${{inputs.x}}/result.txt
    inputs:
      x: \${{parent.jobs.write.outputs.out}}
`,
    );
    cluster = await FaultCluster.start({ dir: join(dir, 'cluster') });
    await cluster.startNode({ name: 'n1' });
    const job = await cluster.submit(spec);

    // n1 has written part of the output: the node and its command die (the machine is gone).
    const half = await firstLogMatch(cluster, job.jobId, /HALF (\d+)/);
    await cluster.node('n1').kill('SIGKILL');
    process.kill(-Number(half[1]), 'SIGKILL');
    await job.until('n1 lost', (tracker) => tracker.hasMessage(/node n1 was lost while running the command/));
    await writeFile(go, '');
    await cluster.startNode({ name: 'n2' });

    const final = await job.end();
    expect(final.state, job.describe()).toBe(JobState.JOB_STATE_SUCCEEDED);
    expect(job.hasMessage(/node n1 was lost .*attempt 2 of 3/), job.describe()).toBe(true);
    expect(job.hasMessage(/step 'write': running on node n2 \(attempt 2 of 3\)/), job.describe()).toBe(true);
    const write = final.steps.find((step) => step.name === 'write');
    expect(write?.stepState).toBe(StepState.STEP_STATE_SUCCEEDED);
    const out = final.steps.find((step) => step.name === 'write')?.outputs[0]?.path ?? '';
    // The lost run's line was emptied with its folder: one run, one whole result.
    expect(await readFile(join(out, 'runs.txt'), 'utf8')).toBe('run\n');
    expect(await readFile(join(out, 'result.txt'), 'utf8')).toBe('whole\n');
    const read = final.steps.find((step) => step.name === 'read');
    expect(await readFile(join(read?.runDir ?? '', 'user_logs', 'std_log.txt'), 'utf8')).toBe('run\nwhole\n');
  });
});
