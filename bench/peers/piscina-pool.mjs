// The in-process worker-pool peer: one Node process, a piscina pool of N threads, batches of B files.
// Usage: node piscina-pool.mjs <threads> <batch> <file-list.txt>
import { Piscina } from 'piscina';
import { readFileSync } from 'node:fs';

const [threads, batch, listFile] = process.argv.slice(2);
const files = readFileSync(listFile, 'utf8').split('\n').filter(Boolean);
const pool = new Piscina({
  filename: new URL('./piscina-task.mjs', import.meta.url).href,
  minThreads: Number(threads),
  maxThreads: Number(threads),
});
const tasks = [];
for (let i = 0; i < files.length; i += Number(batch)) tasks.push(pool.run(files.slice(i, i + Number(batch))));
process.stdout.write((await Promise.all(tasks)).join(''));
await pool.destroy();
