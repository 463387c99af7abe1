/**
 * Staged outputs of a node that does not see the output's folder (issue 17): its workers write into a
 * local staging folder, and each answered attempt's files are shipped to the coordinator
 * (Inputs.WriteOutput) before its result; the coordinator commits them only when it accepts the
 * attempt. Real processes: the first node (blind to every path by its `--shared-fs`) SIGKILLs itself
 * in the middle of its second upload (node chaos `kill-mid-upload`), a second blind node finishes the
 * job; the output folder holds every file exactly, nothing of the broken upload, no staging left.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { assertBuilt, killAllCli, runCli, spawnCli, startCoordinatorCli } from '../helpers/cli-process.js';
import { makeTempDir, writeText } from '../helpers/input-files.js';
import { parallelJobYaml } from '../helpers/job-yaml.js';

/** Larger than one 1 MiB chunk: the killed upload has sent part of a file. */
const FILE_BYTES = 1536 * 1024;
const FILES = 4;

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

const COPY_MJS = `import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
const arg = (name) => process.argv[process.argv.indexOf(name) + 1];
export function run(miniBatch) {
  const out = arg('--out');
  for (const file of miniBatch) {
    const data = readFileSync(file);
    writeFileSync(join(out, basename(file) + '.copy'), data);
    mkdirSync(join(out, 'sizes'), { recursive: true });
    writeFileSync(join(out, 'sizes', basename(file) + '.txt'), String(data.length));
  }
  return miniBatch;
}
`;

const JOB_YML = parallelJobYaml({
  folderOutput: './out',
  miniBatchSize: '"1"',
  maxRetries: 2,
  entryScript: 'copy.mjs',
  programArguments: '--out ${{outputs.folder}}',
});

let root: string;
beforeAll(async () => {
  assertBuilt();
  root = await makeTempDir('parajob-shipped-outputs-');
});
afterAll(async () => {
  await killAllCli();
});

/** A node that sees none of the job's paths (only a prefix that holds nothing of it). */
function blindNode(address: string, name: string, extra: readonly string[] = []) {
  return spawnCli([
    'node',
    '--coordinator',
    address,
    '--name',
    name,
    '--compute',
    'cpu',
    '--cache-dir',
    join(root, `cache-${name}`),
    '--shared-fs',
    join(root, 'nothing-of-the-job'),
    ...extra,
  ]);
}

describe('staged outputs shipped over gRPC', () => {
  it('a node killed mid-upload leaves nothing in the output; the folder output arrives exact from the nodes that do not see it', async () => {
    const expected = new Map<string, string>();
    for (let i = 0; i < FILES; i++) {
      const data = randomBytes(FILE_BYTES);
      const name = `part-${i}.bin`;
      await writeText(join(root, 'data'), name, '');
      await writeFile(join(root, 'data', name), data);
      expected.set(`${name}.copy`, sha256(data));
      expected.set(`sizes/${name}.txt`, sha256(Buffer.from(String(FILE_BYTES))));
    }
    await writeText(root, 'code/copy.mjs', COPY_MJS);
    await writeText(root, 'job.yml', JOB_YML);

    const { address } = await startCoordinatorCli(join(root, 'coordinator'));
    const doomed = blindNode(address, 'doomed', ['--chaos', 'kill-mid-upload:after=1']);
    await doomed.waitFor(/attached to/);
    const create = await runCli(['job', 'create', '--file', join(root, 'job.yml'), '--coordinator', address]);
    expect(create.exit?.code, create.describeOutput()).toBe(0);
    const jobId = create.stdoutLines.at(-1) ?? '';

    // The first upload went whole; the second is cut off by the node's own SIGKILL.
    const exit = await doomed.exited;
    expect(exit.signal, doomed.describeOutput()).toBe('SIGKILL');
    expect(doomed.describeOutput()).toContain('chaos: killing this node mid-upload');
    const survivor = blindNode(address, 'survivor');
    await survivor.waitFor(/attached to/);

    const stream = await runCli(['job', 'stream', jobId, '--coordinator', address], { timeoutMs: 120_000 });
    expect(stream.exit?.code, stream.describeOutput()).toBe(0);

    const out = join(root, 'out');
    const entries = await readdir(out, { withFileTypes: true, recursive: true });
    const found = new Map<string, string>();
    for (const entry of entries.filter((candidate) => candidate.isFile())) {
      const path = join(entry.parentPath, entry.name);
      found.set(path.slice(out.length + 1), sha256(await readFile(path)));
    }
    expect(new Map([...found].sort())).toEqual(new Map([...expected].sort()));
    expect((await readdir(root)).filter((entry) => entry.includes('parajob-staging'))).toEqual([]);
  }, 150_000);
});
