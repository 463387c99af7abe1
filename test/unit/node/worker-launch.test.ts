/** What a worker is started with: CUDA_VISIBLE_DEVICES per processor index on a GPU node, and the interpreter. */
import { describe, expect, it } from 'vitest';

import { initMessage, workerEnvironment, workerLaunch } from '../../../src/node/processor/worker-launch.js';
import { jobWith } from './processor-harness.js';

describe('workerEnvironment', () => {
  it("gives processor i < gpus CUDA_VISIBLE_DEVICES=i and the others none, whatever the node's own value", async () => {
    const { settings } = await jobWith({ 'score.py': '' }, 'score.py');
    const base = { CUDA_VISIBLE_DEVICES: '0,1,2,3', PATH: '/bin' };
    const device = (index: number) =>
      workerEnvironment(settings, { nodeId: 'n', index, processName: `p${index}`, gpus: 2 }, base)[
        'CUDA_VISIBLE_DEVICES'
      ];
    expect([0, 1, 2, 3].map(device)).toEqual(['0', '1', undefined, undefined]);
    expect(
      workerEnvironment(settings, { nodeId: 'n', index: 0, processName: 'p0', gpus: 2 }, base)[
        'AZ_BATCHAI_GPU_COUNT_FOUND'
      ],
    ).toBe('2');
  });

  it('leaves the environment alone on a node without GPUs', async () => {
    const { settings } = await jobWith({ 'score.py': '' }, 'score.py');
    const env = workerEnvironment(
      settings,
      { nodeId: 'n', index: 3, processName: 'p3', gpus: 0 },
      { CUDA_VISIBLE_DEVICES: '5' },
    );
    expect(env['CUDA_VISIBLE_DEVICES']).toBe('5');
    expect(env['AZ_BATCHAI_GPU_COUNT_FOUND']).toBeUndefined();
  });
});

describe('workerLaunch', () => {
  it("runs the interpreter checked at job start rather than the node's raw --python", async () => {
    const { settings } = await jobWith({ 'score.py': '' }, 'score.py');
    const who = { nodeId: 'n', index: 0, processName: 'process000', gpus: 0, python: 'python3' };
    expect(workerLaunch({ ...settings, python: '/usr/bin/python3' }, who).python).toBe('/usr/bin/python3');
    expect(workerLaunch(settings, who).python).toBe('python3');
  });
});

describe('staged outputs in the init frame', () => {
  it("points the script's argv, outputDir and AZUREML_BI_OUTPUT_PATH at its processor's live folder", async () => {
    const { settings } = await jobWith({ 'score.py': '' }, 'score.py');
    const folder = { name: 'folder', path: '/o/folder', isFile: false, stageRoot: '/o/.folder.parajob-staging' };
    const file = { name: 'file', path: '/o/f/x.json', isFile: true, stageRoot: '/o/f/.x.json.parajob-staging' };
    const staged = {
      ...settings,
      outputDir: '/o/folder',
      argv: ['--out', '/o/folder', '--sub=/o/folder/part', '--file', '/o/f/x.json', '/o/folderish', '/x/o/folder'],
      stagedOutputs: [folder, file],
    };
    const who = { nodeId: 'n1', index: 0, processName: 'process000', gpus: 0 };
    const init = initMessage(staged, who);
    const live = '/o/.folder.parajob-staging/live/n1/process000';
    expect(init.argv).toEqual([
      '--out',
      live,
      `--sub=${live}/part`,
      '--file',
      '/o/f/.x.json.parajob-staging/live/n1/process000/x.json',
      '/o/folderish',
      '/x/o/folder',
    ]);
    expect(init.outputDir).toBe(live);
    expect(init.stageLive).toEqual([live, '/o/f/.x.json.parajob-staging/live/n1/process000']);
    expect(workerEnvironment(staged, who, {})['AZUREML_BI_OUTPUT_PATH']).toBe(live);
  });
});
