/**
 * A job whose run() holds each mini-batch until the test creates a "go" file, so that what a test
 * sends meanwhile (forged results, fuzzed calls) arrives while leases are live. Writes `files` as
 * inputs under `<root>/data`, the gated script under `<root>/code` and `<root>/job.yml`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { parallelJobYaml } from '../helpers/job-yaml.js';

export interface GatedJob {
  readonly spec: string;
  /** Create this file to let every run() go on. */
  readonly go: string;
}

export async function writeGatedJob(
  root: string,
  files: readonly string[],
  options: { readonly instanceCount?: number; readonly timeoutS: number },
): Promise<GatedJob> {
  const go = join(root, 'go');
  await mkdir(join(root, 'code'), { recursive: true });
  await mkdir(join(root, 'data'), { recursive: true });
  for (const file of files) await writeFile(join(root, 'data', file), file);
  await writeFile(
    join(root, 'code', 'gated.mjs'),
    `import { existsSync } from 'node:fs';
import { basename } from 'node:path';
export async function run(batch) {
  while (!existsSync(${JSON.stringify(go)})) await new Promise((resolve) => setTimeout(resolve, 20));
  return batch.map((file) => basename(file));
}
`,
  );
  const spec = join(root, 'job.yml');
  await writeFile(
    spec,
    parallelJobYaml({
      entryScript: 'gated.mjs',
      miniBatchSize: '1',
      ...(options.instanceCount === undefined ? {} : { instanceCount: options.instanceCount }),
      appendRowFile: './out/rows.txt',
      timeoutS: options.timeoutS,
    }),
  );
  return { spec, go };
}
