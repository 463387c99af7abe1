// parajob entry script for the file-hash benchmark: prints the same lines as the peers
// (`<file name> <sha256>`). Self-contained: task.code is snapshotted alone and shipped to nodes.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

export function run(files) {
  return files.map((file) => `${basename(file)} ${createHash('sha256').update(readFileSync(file)).digest('hex')}`);
}
