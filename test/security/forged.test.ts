/**
 * Forged results and a node credential used as a client (issue 12): a real coordinator demanding
 * tokens, a real node running the job, and two nodes played by hand from the .proto alone (one of
 * another compute pool, one of the job's pool serving it without holding a lease) that report every
 * mini-batch done with guessed tokens and a forged row. The job must succeed with exactly its rows.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { assertBuilt, createToken, killAllCli, runCli, spawnCli } from '../helpers/cli-process.js';
import { writeGatedJob } from './gated-job.js';
import { HandNode, WireClient } from './wire-client.js';

const FILES = ['a.txt', 'b.txt', 'c.txt', 'd.txt'];

let root: string;
beforeAll(async () => {
  assertBuilt();
  root = await mkdtemp(join(tmpdir(), 'parajob-sec-forged-'));
});
afterAll(async () => {
  await killAllCli();
  await rm(root, { recursive: true, force: true });
});

/** Every mini-batch reported COMPLETED with a forged row, under each guessed token. */
function forgedResults(jobId: string, tokens: readonly number[]): object {
  const results = FILES.flatMap((_, miniBatchId) =>
    tokens.map((token) => ({
      miniBatchId,
      attempt: 1,
      token,
      outcome: 'BATCH_OUTCOME_COMPLETED',
      total: 1,
      succeeded: 1,
      returned: 1,
      rows: Buffer.from('FORGED\n'),
      rowCount: 1,
      processName: 'forger',
    })),
  );
  return { results: { jobId, results } };
}

describe('forged results', () => {
  it('are dropped from a node of another pool and from a serving node not holding the lease; the job succeeds with exactly its rows', async () => {
    const dataDir = join(root, 'data-dir');
    // run() holds its mini-batch until the test says go: the forgeries arrive while leases are live.
    const { go } = await writeGatedJob(root, FILES, { instanceCount: 2, timeoutS: 60 });

    const coordinator = spawnCli([
      'coordinator',
      '--port',
      '0',
      '--data-dir',
      dataDir,
      '--require-auth',
      '--allow-path',
      root,
    ]);
    const address = `127.0.0.1:${(await coordinator.waitFor(/listening on \S+:(\d+)/))[1]}`;
    const realNode = spawnCli(
      ['node', '--coordinator', address, '--name', 'n1', '--compute', 'cpu', '--cache-dir', join(root, 'cache')],
      { env: { PARAJOB_TOKEN: await createToken(dataDir, 'node') } },
    );
    await realNode.waitFor(/parajob node n1 attached/);
    const intruders = [
      new WireClient(address, { token: await createToken(dataDir, 'node') }),
      new WireClient(address, { token: await createToken(dataDir, 'node') }),
    ];
    const [otherPoolClient, samePoolClient] = intruders as [WireClient, WireClient];
    const hello = { cores: 1, gpus: 0, host: 'evil', pid: 1, version: '0' };
    const otherPool = await HandNode.attach(otherPoolClient, { ...hello, name: 'gpu-forger', compute: 'gpu' });
    const samePool = await HandNode.attach(samePoolClient, { ...hello, name: 'cpu-forger', compute: 'cpu' });
    const clientToken = await createToken(dataDir, 'client');
    const watcher = new WireClient(address, { token: clientToken });
    try {
      const created = await runCli(['job', 'create', '--file', join(root, 'job.yml'), '--coordinator', address], {
        env: { PARAJOB_TOKEN: clientToken },
      });
      expect(created.exit?.code, created.describeOutput()).toBe(0);
      const jobId = created.stdoutLines.at(-1) ?? '';

      // The same-pool forger is taken by the run (instance_count 2) but never asks for a lease;
      // the real node holds leases once the run reports mini-batches running.
      await samePool.waitFor((message) => (message.assign as { jobId?: string } | undefined)?.jobId === jobId);
      const watch = watcher.watch({ jobId });
      await new Promise<void>((resolve, reject) => {
        watch.on('data', (event: { status?: { progress?: { miniBatchesRunning?: number } } }) => {
          if ((event.status?.progress?.miniBatchesRunning ?? 0) > 0) resolve();
        });
        watch.on('error', reject);
      });
      watch.cancel();

      // Tokens guessed as a counter (the old scheme) and at random below 2^53.
      const guesses = [1, 2, 3, 4, 5, Math.floor(Math.random() * 2 ** 53)];
      otherPool.send(forgedResults(jobId, guesses));
      otherPool.send({
        processorEvent: { jobId, processName: 'p0', kind: 'PROCESSOR_EVENT_KIND_INVALID_ENTRY_SCRIPT', message: 'x' },
      });
      samePool.send(forgedResults(jobId, guesses));
      // A round trip on each forger's own stream: the coordinator handles a stream's messages in order,
      // so its answer to this lease request for an unknown job comes after the forgeries were handled.
      for (const forger of [otherPool, samePool]) {
        forger.send({ leaseRequest: { jobId: 'no-such-job', count: 1 } });
        await forger.waitFor((message) => (message.release as { jobId?: string } | undefined)?.jobId === 'no-such-job');
      }

      // A node credential may not act as a client, even on a live job it could name.
      const asClient = intruders[0] as WireClient;
      const spec = await readFile(join(root, 'job.yml'), 'utf8');
      expect((await asClient.unary('submit', { specYaml: spec, specPath: join(root, 'job.yml') })).error?.code).toBe(
        status.PERMISSION_DENIED,
      );
      expect((await asClient.unary('list', {})).error?.code).toBe(status.PERMISSION_DENIED);
      expect((await asClient.unary('get', { jobId })).error?.code).toBe(status.PERMISSION_DENIED);
      expect((await asClient.unary('cancel', { jobId, reason: 'forged' })).error?.code).toBe(status.PERMISSION_DENIED);

      await writeFile(go, '');
      const streamed = await runCli(['job', 'stream', jobId, '--coordinator', address], {
        env: { PARAJOB_TOKEN: clientToken },
      });
      expect(streamed.exit?.code, streamed.describeOutput()).toBe(0);
      const rows = (await readFile(join(root, 'out', 'rows.txt'), 'utf8')).split('\n').filter(Boolean);
      expect(rows.sort()).toEqual(FILES);
      const shown = await watcher.unary('get', { jobId });
      expect(shown.response.state).toBe('JOB_STATE_SUCCEEDED');
      // Every forgery was counted as dropped, and the reasons say why.
      const logs = join(dataDir, 'runs', jobId, 'logs', 'sys');
      const summary = JSON.parse(await readFile(join(logs, 'job_report', 'summary.json'), 'utf8')) as {
        droppedResults: number;
      };
      expect(summary.droppedResults).toBeGreaterThanOrEqual(2 * FILES.length * guesses.length);
      const masterRole = await readFile(join(logs, 'master_role.txt'), 'utf8');
      expect(masterRole).toContain('node gpu-forger does not serve this run');
      expect(masterRole).toMatch(/"nodeId":"cpu-forger"[^\n]*the lease is held by node n1/);
    } finally {
      otherPool.stop();
      samePool.stop();
      for (const client of [...intruders, watcher]) client.close();
    }
  });
});
