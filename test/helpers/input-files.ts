/** Test inputs: folders of small files and job YAML written into temp directories. */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh temp directory under the OS temp folder. */
export function makeTempDir(prefix = 'parajob-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/**
 * Writes `count` small files `file-00000.txt`... into `dir` (created), each with a line naming it.
 * Returns their names in order.
 */
export async function makeInputFiles(dir: string, count: number): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const names = Array.from({ length: count }, (_, i) => `file-${String(i).padStart(5, '0')}.txt`);
  // In batches: thousands of concurrent writes would only exhaust file descriptors.
  for (let i = 0; i < names.length; i += 200) {
    await Promise.all(names.slice(i, i + 200).map((name) => writeFile(join(dir, name), `content of ${name}\n`)));
  }
  return names;
}

/** Writes `text` to `dir/name` (folders created) and returns the absolute path. */
export async function writeText(dir: string, name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, text);
  return path;
}
