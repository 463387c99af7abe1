/**
 * A job's node log, `logs/sys/node/<node>/_main.txt` under the job's log folder: a pino logger
 * bound {nodeId, jobId} writing JSON lines there, at the root logger's level.
 *
 * Making the logger and opening its file are two steps, so that the node machine can build the logger
 * in an `assign` (it hands it to the job it spawns there) and open the file in an action after it:
 * what the job writes before the file is open waits in memory.
 */
import { type DestinationStream, type Logger, pino } from 'pino';

import { openLogFile } from '../../log/logger.js';

/** A job's logger and how to open and close its file. */
export interface JobLog {
  readonly logger: Logger;
  /** Opens the file (folders created) and writes what was logged so far; once. */
  open(): void;
  /** Flushes and closes the file; the logger must not be used afterwards. */
  close(): void;
}

/** A destination that holds lines until its file is opened. */
class DeferredFile implements DestinationStream {
  private pending: string[] = [];
  private file: ReturnType<typeof openLogFile> | undefined;

  constructor(private readonly path: string) {}

  write(line: string): void {
    if (this.file === undefined) this.pending.push(line);
    else this.file.write(line);
  }

  open(): void {
    if (this.file !== undefined) return;
    this.file = openLogFile(this.path);
    for (const line of this.pending) this.file.write(line);
    this.pending = [];
  }

  close(): void {
    // A log closed before it was opened had nothing to keep on disk yet; open it so nothing is lost.
    this.open();
    this.file?.end();
  }
}

/** Makes (does not open) the log of job `jobId` on node `nodeId`, written to `file`. */
export function makeJobLog(root: Logger, file: string, nodeId: string, jobId: string): JobLog {
  const destination = new DeferredFile(file);
  const logger = pino({ level: root.level, base: { role: 'node', pid: process.pid } }, destination).child({
    nodeId,
    jobId,
  });
  return {
    logger,
    open: () => destination.open(),
    close: () => destination.close(),
  };
}
