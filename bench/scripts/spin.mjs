// parajob entry script for the parallel-efficiency benchmark: fixed CPU work per item.
import { createHash } from 'node:crypto';

const ROUNDS = Number(process.env.PARAJOB_BENCH_SPIN_ROUNDS ?? 200000);

export function run(items) {
  return items.map((item) => {
    let digest = Buffer.from(item);
    for (let i = 0; i < ROUNDS; i++) digest = createHash('sha256').update(digest).digest();
    return `${item} ${digest.toString('hex').slice(0, 16)}`;
  });
}
