// Writes each line of --text with at least --min-words words to <--out>/line-NNN.txt.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    text: { type: 'string' },
    out: { type: 'string' },
    'min-words': { type: 'string' },
    prefix: { type: 'string' },
  },
});
const lines = (await readFile(values.text, 'utf8')).split('\n').filter((line) => line.trim() !== '');
const kept = lines.filter((line) => line.split(/\s+/).length >= Number(values['min-words'] ?? 1));
await mkdir(values.out, { recursive: true });
await Promise.all(
  kept.map((line, index) =>
    writeFile(join(values.out, `${values.prefix ?? 'line'}-${String(index).padStart(3, '0')}.txt`), `${line}\n`),
  ),
);
console.log(`split ${kept.length} lines into ${values.out}`);
