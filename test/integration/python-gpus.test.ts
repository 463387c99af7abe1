/**
 * CUDA_VISIBLE_DEVICES on a node with GPUs (`parajob node --gpus 2`, no real GPU needed): processor
 * i < gpus sees device i, the others none, and a worker restarted after a crash takes over its
 * processor's index. Real coordinator, node and Python worker processes.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { assertBuilt, killAllCli, runCli, spawnCli, startCoordinatorCli } from '../helpers/cli-process.js';
import { makeInputFiles, makeTempDir, writeText } from '../helpers/input-files.js';
import { parallelJobYaml } from '../helpers/job-yaml.js';
import { logLines, NO_PYTHON, TEST_PYTHON } from '../helpers/python.js';

const FILES = 12;

/**
 * Logs every worker's pid and GPU settings in init(). process001's first worker dies in init();
 * every run() waits (bounded) until process001's second worker is up, so the job cannot end before
 * the restart happened.
 */
const GPU_PY = `import argparse
import os
import time

from azureml_user.parallel_run import EntryScript

marker_dir = None


def cuda():
    return os.environ.get("CUDA_VISIBLE_DEVICES", "none")


def init():
    global marker_dir
    parser = argparse.ArgumentParser(allow_abbrev=False)
    parser.add_argument("--marker_dir", required=True)
    marker_dir = parser.parse_known_args()[0].marker_dir
    agent = EntryScript().agent_name
    EntryScript().logger.info("init pid=%d cuda=%s found=%s", os.getpid(), cuda(), os.environ.get("AZ_BATCHAI_GPU_COUNT_FOUND"))
    if agent == "process001":
        first = os.path.join(marker_dir, "crashed")
        if not os.path.exists(first):
            open(first, "w").close()
            os._exit(3)
        open(os.path.join(marker_dir, "restarted"), "w").close()


def run(mini_batch):
    deadline = time.monotonic() + 30
    while not os.path.exists(os.path.join(marker_dir, "restarted")):
        if time.monotonic() > deadline:
            raise TimeoutError("process001 was not restarted within 30 s")
        time.sleep(0.02)
    return ["{} {} {}".format(os.path.basename(path), EntryScript().agent_name, cuda()) for path in mini_batch]
`;

describe.skipIf(TEST_PYTHON === undefined)(
  `CUDA_VISIBLE_DEVICES per worker on a node with --gpus 2 ${TEST_PYTHON ? '' : NO_PYTHON}`,
  () => {
    afterAll(async () => {
      await killAllCli();
    });

    it('gives processors 0 and 1 their own device, processor 2 none, and a restarted worker its processor index', async () => {
      assertBuilt();
      const dir = await makeTempDir('parajob-python-gpus-');
      await makeInputFiles(join(dir, 'data'), FILES);
      await writeText(dir, 'code/gpu.py', GPU_PY);
      await writeText(dir, 'markers/.keep', '');
      const yaml = parallelJobYaml({
        compute: 'gpu',
        miniBatchSize: '"1"',
        maxConcurrencyPerInstance: 3,
        entryScript: 'gpu.py',
        appendRowFile: './out/rows.txt',
        extra: `  program_arguments: --marker_dir ${join(dir, 'markers')}`,
      });
      await writeText(dir, 'job.yml', yaml);

      const { address } = await startCoordinatorCli(join(dir, 'coordinator'));
      // Whatever the machine running the tests has, the node reports exactly 2 GPUs.
      const node = spawnCli(
        [
          'node',
          '--coordinator',
          address,
          '--name',
          'g1',
          '--compute',
          'gpu',
          '--gpus',
          '2',
          '--cores',
          '3',
          '--cache-dir',
          join(dir, 'cache'),
        ],
        {
          env: { CUDA_VISIBLE_DEVICES: '7' },
        },
      );
      await node.waitFor(/attached to/);

      const create = await runCli(['job', 'create', '--file', join(dir, 'job.yml'), '--coordinator', address]);
      expect(create.exit?.code, create.describeOutput()).toBe(0);
      const jobId = create.stdoutLines.at(-1) ?? '';
      const runDir = /run directory (\S+)/.exec(create.stdout)?.[1] ?? '';
      const stream = await runCli(['job', 'stream', jobId, '--coordinator', address], { timeoutMs: 60_000 });
      expect(stream.exit?.code, stream.describeOutput()).toBe(0);

      const expectedDevice: Record<string, string> = { process000: '0', process001: '1', process002: 'none' };
      const rows = (await readFile(join(dir, 'out', 'rows.txt'), 'utf8')).split('\n').filter(Boolean);
      expect(rows).toHaveLength(FILES);
      for (const row of rows) {
        const [, agent, device] = row.split(' ');
        expect(device, row).toBe(expectedDevice[agent ?? '']);
      }

      for (const [process, device] of Object.entries(expectedDevice)) {
        const inits = (await logLines(runDir, 'user', 'entry_script_log', 'g1', `${process}.log.txt`))
          .map((line) => /init pid=(\d+) cuda=(\S+) found=(\S+)$/.exec(line))
          .filter((match): match is RegExpExecArray => match !== null);
        expect(inits.length, process).toBe(process === 'process001' ? 2 : 1);
        for (const [, , cuda, found] of inits) {
          expect(cuda, process).toBe(device);
          expect(found, process).toBe('2');
        }
        // process001: two different worker processes, the restarted one on the same device.
        expect(new Set(inits.map((match) => match[1])).size, process).toBe(inits.length);
      }
    }, 90_000);
  },
);
