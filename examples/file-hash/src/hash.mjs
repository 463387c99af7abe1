// The entry script of the file-hash example: run() returns one line per file, "<file name> <digest>".
// An ES module exporting init (once per worker process), run (once per mini-batch) and shutdown.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';

let algorithm = 'sha256';
let filesHashed = 0;

/** Called once per worker process, before any mini-batch. Nothing heavy to load here. */
export function init(context) {
  // context.argv holds the system arguments and then the program arguments (Azure-style; they are
  // in process.argv too): read only ours and ignore the rest, like Python's parse_known_args.
  const { values } = parseArgs({ args: [...context.argv], options: { algorithm: { type: 'string' } }, strict: false });
  if (typeof values.algorithm === 'string') algorithm = values.algorithm;
  createHash(algorithm); // throws now, in init, for an unknown algorithm
  context.logger.info(`init: hashing with ${algorithm}`);
}

/**
 * `miniBatch` is an array of absolute file paths. The returned array has one item per file that
 * succeeded; each item becomes one line of the append_row output.
 */
export async function run(miniBatch, context) {
  const rows = [];
  for (const file of miniBatch) {
    const digest = createHash(algorithm)
      .update(await readFile(file))
      .digest('hex');
    rows.push(`${basename(file)} ${digest}`);
  }
  filesHashed += rows.length;
  context.logger.debug(`hashed ${rows.length} files`);
  return rows;
}

/** Called once when the worker has no more work. */
export function shutdown(context) {
  context.logger.info(`shutdown: ${filesHashed} files hashed by this process`);
}
