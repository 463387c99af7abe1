/**
 * The viewer role over the wire: a real `parajob coordinator` demanding credentials, a job submitted
 * with a client token, and a client built from the .proto alone (wire-client.ts) holding a viewer
 * token. The viewer lists, gets and watches the job and reads assets; it may not submit, cancel,
 * register assets or attach as a node. The CLI says the same to a viewer.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { assertBuilt, createToken, killAllCli, runCli, spawnCli } from '../helpers/cli-process.js';
import { writeGatedJob } from './gated-job.js';
import { firstAttachOutcome, WireClient } from './wire-client.js';

let root: string;

beforeAll(async () => {
  assertBuilt();
  root = await mkdtemp(join(tmpdir(), 'parajob-sec-viewer-'));
});
afterAll(async () => {
  await killAllCli();
  await rm(root, { recursive: true, force: true });
});

describe('a viewer token', () => {
  it('lists, gets and watches jobs and reads assets; may not submit, cancel, register or attach', async () => {
    const dataDir = join(root, 'data-dir');
    // No node attaches: the job waits for its first task, live for as long as the test needs it.
    const { spec } = await writeGatedJob(root, ['a.txt'], { timeoutS: 60 });
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
    const clientToken = await createToken(dataDir, 'client');
    const viewerToken = await createToken(dataDir, 'viewer');
    const viewer = new WireClient(address, { token: viewerToken });
    const client = new WireClient(address, { token: clientToken });
    try {
      const created = await runCli(['job', 'create', '--file', spec, '--coordinator', address], {
        env: { PARAJOB_TOKEN: clientToken },
      });
      expect(created.exit?.code, created.describeOutput()).toBe(0);
      const jobId = created.stdoutLines.at(-1) ?? '';

      // Reads.
      const listed = await viewer.unary('list', {});
      expect(listed.error).toBeNull();
      expect(JSON.stringify(listed.response)).toContain(jobId);
      const got = await viewer.unary('get', { jobId });
      expect(got.error).toBeNull();
      expect(got.response).toMatchObject({ jobId });
      const watch = viewer.watch({ jobId });
      const firstEvent = await new Promise<Record<string, unknown>>((resolve, reject) => {
        watch.once('data', resolve);
        watch.once('error', reject);
      });
      watch.cancel();
      expect(firstEvent).toHaveProperty('kind');
      expect((await viewer.assetCall('listData', {})).error).toBeNull();
      expect((await viewer.assetCall('listComponents', {})).error).toBeNull();

      // Changes: refused, naming the role it would need.
      const submitted = await viewer.unary('submit', { specYaml: 'x', specPath: spec });
      expect(submitted.error?.code).toBe(status.PERMISSION_DENIED);
      expect(submitted.error?.details).toMatch(
        /a viewer credential may not call \/parajob\.v1\.Jobs\/Submit \(it needs a client credential\)/,
      );
      expect((await viewer.unary('cancel', { jobId, reason: 'x' })).error?.code).toBe(status.PERMISSION_DENIED);
      expect((await viewer.assetCall('createData', { specYaml: 'x', specPath: spec })).error?.code).toBe(
        status.PERMISSION_DENIED,
      );
      expect((await viewer.assetCall('createComponent', { documents: [] })).error?.code).toBe(status.PERMISSION_DENIED);
      expect((await firstAttachOutcome(viewer.attach())).error?.code).toBe(status.PERMISSION_DENIED);
      // Nothing changed: the job is still live.
      expect((await viewer.unary('get', { jobId })).response.state).not.toBe('JOB_STATE_CANCELLED');

      // The CLI with a viewer token: `job list` works, `job cancel` is refused.
      const env = { PARAJOB_TOKEN: viewerToken };
      const cliList = await runCli(['job', 'list', '--coordinator', address], { env });
      expect(cliList.exit?.code, cliList.describeOutput()).toBe(0);
      expect(cliList.stdout).toContain(jobId);
      const cliCancel = await runCli(['job', 'cancel', jobId, '--coordinator', address], { env });
      expect(cliCancel.exit?.code).not.toBe(0);
      expect(cliCancel.stderr).toMatch(/viewer credential may not call/);

      // The client token may cancel it.
      expect((await client.unary('cancel', { jobId, reason: 'done' })).error).toBeNull();
    } finally {
      viewer.close();
      client.close();
    }
  });
});
