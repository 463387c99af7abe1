/**
 * One pino root logger per process; everything else logs through child loggers bound to
 * `jobId`, `nodeId`, `processName`, `miniBatchId` and `attempt`. Messages are constant strings;
 * data goes in the object. Output is JSON lines (pino-pretty is for humans, never used here).
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

import { type LevelWithSilent, type Logger, pino } from 'pino';

export type { Logger } from 'pino';

export interface RootLoggerOptions {
  /** The process's role: `coordinator`, `node`, `cli`. */
  readonly role: string;
  readonly level?: LevelWithSilent;
  /** Absolute file to append JSON lines to; undefined = stderr. */
  readonly file?: string;
}

/** Creates the process's root logger. */
export function createRootLogger(options: RootLoggerOptions): Logger {
  const level = options.level ?? 'info';
  // stderr is written synchronously: a process's last words (a crash, a chaos SIGKILL) must not be
  // lost in a buffer, and nothing logs per mini-batch at INFO, so the cost is small.
  if (options.file === undefined)
    return pino({ level, base: { role: options.role, pid: process.pid } }, pino.destination({ dest: 2, sync: true }));
  return pino({ level, base: { role: options.role, pid: process.pid } }, openLogFile(options.file));
}

type FileDestination = ReturnType<typeof pino.destination>;

/** Log files open in this process, for flushLogFilesSync. */
const openFiles = new Set<FileDestination>();

/**
 * An asynchronous append-only pino destination for a log file (the folder is created). What it
 * still buffers when the process exits is written by flushLogFilesSync (the CLI calls it last).
 */
export function openLogFile(file: string): FileDestination {
  mkdirSync(dirname(file), { recursive: true });
  const destination = pino.destination({ dest: file, append: true, sync: false, mkdir: true });
  openFiles.add(destination);
  destination.on('close', () => openFiles.delete(destination));
  return destination;
}

/**
 * Writes, synchronously, what every open log file still buffers: called right before the process
 * exits, so that it can exit at once instead of waiting for asynchronous writes to land.
 */
export function flushLogFilesSync(): void {
  for (const destination of openFiles) {
    try {
      destination.flushSync();
    } catch {
      // Not open yet (nothing written) or already closed: nothing is left to save.
    }
  }
}

/** Maps Azure's logging_level to pino's level names. */
export function pinoLevel(azureLevel: 'DEBUG' | 'INFO' | 'WARNING'): LevelWithSilent {
  return azureLevel === 'DEBUG' ? 'debug' : azureLevel === 'WARNING' ? 'warn' : 'info';
}
