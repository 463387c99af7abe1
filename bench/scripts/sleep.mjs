// parajob entry script for the failover benchmark: 20 ms of waiting per item, one row per item.
import { setTimeout as sleep } from 'node:timers/promises';

export async function run(items) {
  await sleep(20 * items.length);
  return items;
}
