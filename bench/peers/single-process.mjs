// The floor: one process hashing every file in a loop, no scheduling at all.
// Usage: node single-process.mjs <file-list.txt>
import { readFileSync } from 'node:fs';
import { hashLine } from './hash-batch.mjs';

const files = readFileSync(process.argv[2], 'utf8').split('\n').filter(Boolean);
process.stdout.write(files.map(hashLine).join('\n') + '\n');
