/**
 * A node cut off from the coordinator while it runs a command step, alive all along (real processes;
 * the node dials through the harness's TCP proxy, which drops its connections and refuses new ones;
 * a node silent for 1 s is lost). The node kills its command's process group once out of touch for
 * the session timeout its welcome told; the coordinator runs the step again on another node only
 * after that (fencing), so the old run never writes while the new one does: in the ledger both runs
 * append to, no line of the old run follows the new run's first line. When the cut-off node comes
 * back, what it says of its old run changes nothing: the step ends with the new run's output.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { afterEach, beforeAll, describe, expect, it } from 'vitest';

import { FaultCluster } from '../../cluster/fault/fault-cluster.js';
import { JobState } from '../../src/gen/parajob/v1/parajob.js';
import { assertBuilt } from '../helpers/cli-process.js';
import { makeTempDir } from '../helpers/input-files.js';
import { isRunning } from '../helpers/process-state.js';
import { firstLogMatch } from './support.js';

describe('a node partitioned from the coordinator during a command step', () => {
  let cluster: FaultCluster | undefined;

  beforeAll(() => assertBuilt());

  afterEach(async () => {
    await cluster?.stop();
    cluster = undefined;
  });

  it('kills its command after the session timeout; the step runs again elsewhere only then, and the old run is ignored', async () => {
    const dir = await makeTempDir('parajob-command-partition-');
    const first = join(dir, 'first');
    const ledger = join(dir, 'ledger.txt');
    const go = join(dir, 'go');
    // The first run ticks into the ledger (bounded: 60 s) until it is killed; the second notes itself,
    // waits (bounded) for the go file, then writes the output.
    const spec = join(dir, 'p.yml');
    await writeFile(
      spec,
      `type: command
compute: azureml:cpu
command: >-
  if [ -f ${first} ]; then
  echo "SECOND $$" >> ${ledger};
  i=0; while [ ! -f ${go} ]; do i=$((i+1)); [ $i -gt 600 ] && exit 8; sleep 0.05; done;
  echo second > \${{outputs.out}}/result.txt; exit 0; fi;
  touch ${first}; echo "FIRST $$";
  i=0; while [ $i -lt 1200 ]; do i=$((i+1)); echo "tick $$" >> ${ledger}; sleep 0.05; done;
  echo first > \${{outputs.out}}/result.txt
outputs:
  out: { type: uri_folder }
`,
    );
    cluster = await FaultCluster.start({ dir: join(dir, 'cluster') });
    const n1 = await cluster.startNode({ name: 'n1', viaProxy: true });
    const job = await cluster.submit(spec);
    const started = await firstLogMatch(cluster, job.jobId, /FIRST (\d+)/);
    const firstPid = Number(started[1]);
    await cluster.startNode({ name: 'n2' });

    // The partition: n1's connection drops and it cannot dial again; n1 itself lives on.
    n1.proxy?.block();
    n1.proxy?.cut();
    await n1.process.waitFor(/killing command runs/, 20_000);
    await job.until('the run again on n2', (tracker) => tracker.hasMessage(/running on node n2 \(attempt 2 of 3\)/));
    expect(isRunning(firstPid), `the first run (pid ${firstPid}) still runs`).toBe(false);
    expect(isRunning(n1.pid)).toBe(true);

    // n1 comes back while n2 runs the step: its old run's end (kept in its outbox) counts for nothing.
    n1.proxy?.unblock();
    await n1.process.waitFor(/command killed: its step runs elsewhere/, 10_000);
    await n1.process.waitFor(/registered with the coordinator[\s\S]*registered with the coordinator/, 20_000);
    expect((await cluster.api.get(job.jobId)).state).toBe(JobState.JOB_STATE_RUNNING);
    await writeFile(go, '');

    const final = await job.end();
    expect(final.state, job.describe()).toBe(JobState.JOB_STATE_SUCCEEDED);
    const out = final.steps[0]?.outputs[0]?.path ?? '';
    expect(await readFile(join(out, 'result.txt'), 'utf8')).toBe('second\n');
    const lines = (await readFile(ledger, 'utf8')).split('\n').filter(Boolean);
    const second = lines.findIndex((line) => line.startsWith('SECOND '));
    expect(second, lines.join('\n')).toBeGreaterThan(0);
    expect(lines.slice(second + 1).filter((line) => line === `tick ${firstPid}`)).toEqual([]);
    expect(lines.slice(0, second).every((line) => line === `tick ${firstPid}`)).toBe(true);
  }, 120_000);
});
