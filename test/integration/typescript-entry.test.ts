/**
 * TypeScript entry scripts through `parajob run`: a `score.ts` written with 'parajob''s
 * `defineEntryScript` (bundled in place of the package) and a `.ts` helper typed against it (types
 * only, erased when compiled), runs as written; one that throws shows its own
 * `.ts` line in logs/user/error; one that does not compile fails the job as invalid input, naming
 * the file and line.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { assertBuilt, killAllCli, runCli } from '../helpers/cli-process.js';
import { makeInputFiles, makeTempDir, writeText } from '../helpers/input-files.js';
import { parallelJobYaml } from '../helpers/job-yaml.js';

const FILES = 12;

const HELPER = `import type { FileMiniBatch } from 'parajob';

export function label(path: FileMiniBatch[number]): string {
  return path.slice(path.lastIndexOf('/') + 1).toUpperCase();
}
`;

/** Throws on file-00003.txt when THROW_ON is set: line 8 of the script. */
const SCORE = `import { defineEntryScript, type EntryScriptContext } from 'parajob';

import { label } from './helper.ts';

interface Seen { readonly count: number }
const seen: Seen = { count: 0 };
function check(file: string): void {
  if (process.env.THROW_ON && file.endsWith(process.env.THROW_ON)) throw new Error(\`refusing \${file}\`);
}
export default defineEntryScript<string, string>({
  init(context: EntryScriptContext): void {
    context.logger.info('typed init', seen.count);
  },
  run: (files) => files.map((file) => {
    check(file);
    return label(file);
  }),
});
`;

async function runTsJob(
  prefix: string,
  script: string,
  extra = '',
): Promise<{ runDir: string; dir: string; code: number | null | undefined; output: string }> {
  assertBuilt();
  const dir = await makeTempDir(prefix);
  await makeInputFiles(join(dir, 'data'), FILES);
  await writeText(dir, 'code/score.ts', script);
  await writeText(dir, 'code/helper.ts', HELPER);
  await writeText(
    dir,
    'job.yml',
    parallelJobYaml({
      entryScript: 'score.ts',
      appendRowFile: './out/rows.txt',
      miniBatchSize: '"4"',
      maxRetries: 0,
      extra,
    }),
  );
  const runDir = join(dir, 'run');
  const run = await runCli(['run', join(dir, 'job.yml'), '--run-dir', runDir, '--data-dir', join(dir, 'data-dir')], {
    timeoutMs: 60_000,
  });
  return { runDir, dir, code: run.exit?.code, output: run.describeOutput() };
}

async function filesUnder(root: string): Promise<string> {
  const texts: string[] = [];
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) texts.push(await readFile(join(entry.parentPath, entry.name), 'utf8'));
  }
  return texts.join('\n');
}

describe('TypeScript entry scripts', () => {
  afterAll(async () => {
    await killAllCli();
  });

  it('run as written: defineEntryScript from parajob, importing a .ts helper', async () => {
    const { dir, code, output } = await runTsJob('parajob-ts-ok-', SCORE);
    expect(code, output).toBe(0);
    const rows = (await readFile(join(dir, 'out', 'rows.txt'), 'utf8')).split('\n').filter(Boolean).sort();
    expect(rows).toEqual(Array.from({ length: FILES }, (_, i) => `FILE-${String(i).padStart(5, '0')}.TXT`));
  }, 90_000);

  it('a run() that throws shows the .ts line in logs/user/error', async () => {
    const { runDir, output } = await runTsJob(
      'parajob-ts-throw-',
      SCORE,
      'environment_variables:\n  THROW_ON: file-00003.txt',
    );
    const errors = await filesUnder(join(runDir, 'logs', 'user', 'error'));
    expect(errors, output).toContain('refusing');
    expect(errors).toMatch(/score\.ts:8:\d+/);
  }, 90_000);

  it('a script that does not compile fails the job as invalid input, naming file and line', async () => {
    const { runDir, code, output } = await runTsJob(
      'parajob-ts-bad-',
      'export const run = (files: string[] => files;\n',
    );
    expect(code, output).toBe(2);
    const result = await readFile(join(runDir, 'logs', 'job_result.txt'), 'utf8');
    expect(result).toMatch(/score\.ts:1:\d+: /);
  }, 90_000);
});
