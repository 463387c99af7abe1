/**
 * The last lines a command wrote, for the reason of a failed command step: read from the end of its
 * std_log.txt (stdout and stderr interleaved as written), from where this run started appending, so a
 * rerun's tail never shows the lost run's lines.
 */
import { open } from 'node:fs/promises';

/** Lines kept at most. */
export const OUTPUT_TAIL_LINES = 20;
/** Bytes read from the end at most (long lines are cut from the front). */
export const OUTPUT_TAIL_BYTES = 4096;

/** The last `maxLines` lines of `file` after byte `from`; '' when there are none or it cannot be read. */
export async function readOutputTail(
  file: string,
  from: number,
  maxLines = OUTPUT_TAIL_LINES,
  maxBytes = OUTPUT_TAIL_BYTES,
): Promise<string> {
  const handle = await open(file, 'r').catch(() => undefined);
  if (handle === undefined) return '';
  try {
    const { size } = await handle.stat();
    const start = Math.max(from, size - maxBytes);
    if (size <= start) return '';
    const buffer = Buffer.alloc(size - start);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, start);
    const lines = buffer.subarray(0, bytesRead).toString('utf8').replace(/\s+$/, '').split('\n');
    // A read that starts mid-file starts mid-line: that partial line is dropped unless it is all there is.
    if (start > from && lines.length > 1) lines.shift();
    return lines.slice(-maxLines).join('\n');
  } finally {
    await handle.close();
  }
}
