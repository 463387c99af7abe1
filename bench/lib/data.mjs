// Generated benchmark data, cached under bench/.data (git-ignored) so reruns reuse it, or under
// $PARAJOB_BENCH_DATA (e.g. a folder in /tmp, off the work tree).
import { existsSync, mkdirSync, writeFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

export const DATA_ROOT = process.env.PARAJOB_BENCH_DATA
  ? `${process.env.PARAJOB_BENCH_DATA.replace(/\/$/, '')}/`
  : new URL('../.data/', import.meta.url).pathname;

/**
 * A folder of `count` files of `bytes` bytes each (deterministic names, random content), and a file
 * listing their absolute paths in order. Reused when it already has exactly `count` files.
 */
export function fileFolder(name, count, bytes) {
  const folder = join(DATA_ROOT, name);
  const listFile = join(DATA_ROOT, `${name}.list`);
  if (!existsSync(folder) || readdirSync(folder).length !== count) {
    rmSync(folder, { recursive: true, force: true });
    mkdirSync(folder, { recursive: true });
    for (let i = 0; i < count; i++)
      writeFileSync(join(folder, `f${String(i).padStart(6, '0')}.bin`), randomBytes(bytes));
  }
  const files = readdirSync(folder)
    .sort()
    .map((file) => join(folder, file));
  writeFileSync(listFile, files.join('\n') + '\n');
  return { folder, listFile, files };
}

/** Writes a parajob job YAML for a benchmark run and returns its path. */
export function jobYaml(
  name,
  {
    input,
    inputType = 'uri_folder',
    code,
    entryScript,
    miniBatchSize,
    instances = 1,
    processes = 2,
    appendRow = true,
    extra = '',
  },
) {
  const dir = join(DATA_ROOT, 'jobs', name);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'job.yml');
  const lines = [
    'type: parallel',
    `name: ${name}`,
    'inputs:',
    '  data:',
    `    type: ${inputType}`,
    `    path: ${input}`,
    ...(appendRow ? ['outputs:', '  result:', '    type: uri_file', `    path: ${join(dir, 'result.txt')}`] : []),
    'input_data: ${{inputs.data}}',
    `mini_batch_size: "${miniBatchSize}"`,
    'resources:',
    `  instance_count: ${instances}`,
    `max_concurrency_per_instance: ${processes}`,
    'retry_settings:',
    '  max_retries: 0',
    '  timeout: 600',
    'task:',
    '  type: run_function',
    `  code: ${code}`,
    `  entry_script: ${entryScript}`,
    ...(appendRow ? ['  append_row_to: ${{outputs.result}}'] : []),
    extra,
  ];
  writeFileSync(file, lines.join('\n') + '\n');
  return { file, result: join(dir, 'result.txt'), dir };
}
