/**
 * A job's node log, `logs/sys/node/<node>/_main.txt` under the job's log folder: a pino logger
 * bound {nodeId, jobId} writing JSON lines there, at the root logger's level.
 */
import { type Logger, pino } from 'pino';

import { openLogFile } from '../../log/logger.js';

/** A job's logger and how to close its file. */
export interface JobLog {
  readonly logger: Logger;
  /** Flushes and closes the file; the logger must not be used afterwards. */
  close(): void;
}

/** Opens `file` (folders created) for a job's log. */
export function openJobLog(root: Logger, file: string, nodeId: string, jobId: string): JobLog {
  const destination = openLogFile(file);
  const logger = pino({ level: root.level, base: { role: 'node', pid: process.pid } }, destination).child({
    nodeId,
    jobId,
  });
  return {
    logger,
    close: () => destination.end(),
  };
}
