/**
 * Where a command writes: stdout for results (job ids, summaries, JSON), stderr for progress,
 * warnings and errors. Commands take it as a parameter so tests can capture both.
 */
export interface CommandIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WriteStream;
}

/** The process's own streams. */
export function processIo(): CommandIo {
  return { stdout: process.stdout, stderr: process.stderr };
}

/** Writes `text` and a newline. */
export function writeLine(stream: NodeJS.WritableStream, text: string): void {
  stream.write(`${text}\n`);
}
