// A piscina worker task: hash a batch of files (the in-process worker-pool peer).
import { hashLine } from './hash-batch.mjs';

export default function hashBatch(files) {
  return files.map(hashLine).join('\n') + '\n';
}
