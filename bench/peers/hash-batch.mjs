// The peers' unit of work for the file-hash benchmark: hash every file named on the command line and
// print `<file name> <sha256>` per file, exactly what the parajob entry script returns.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

export function hashLine(file) {
  return `${basename(file)} ${createHash('sha256').update(readFileSync(file)).digest('hex')}`;
}

if (process.argv[1] && import.meta.url.endsWith(basename(process.argv[1]))) {
  const lines = process.argv.slice(2).map(hashLine);
  process.stdout.write(lines.length ? `${lines.join('\n')}\n` : '');
}
