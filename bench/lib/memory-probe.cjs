// Preloaded into the coordinator by the scale benchmark (`node --expose-gc -r memory-probe.cjs ...`):
// on SIGUSR2 it runs a full garbage collection and writes process.memoryUsage() as JSON to the file
// named by PARAJOB_MEMORY_PROBE. What is left after a full GC is what the coordinator RETAINS (the
// ledger, the partition, the code); transient garbage and buffers are gone. It reads nothing of
// parajob's and changes nothing: it exists so that the benchmark can tell retained memory from the
// GC's timing. Bench-only; not part of parajob.
'use strict';
const { writeFileSync, renameSync } = require('node:fs');

const target = process.env.PARAJOB_MEMORY_PROBE;
if (target) {
  process.on('SIGUSR2', () => {
    // Twice: the first pass may leave objects that only a second (after weak callbacks) frees.
    global.gc?.();
    global.gc?.();
    const usage = process.memoryUsage();
    // Written whole then renamed, so the reader never sees half a file.
    writeFileSync(`${target}.tmp`, JSON.stringify({ ...usage, gcRan: typeof global.gc === 'function' }));
    renameSync(`${target}.tmp`, target);
  });
}
