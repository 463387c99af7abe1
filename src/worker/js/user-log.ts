/**
 * The entry script's own log (`context.logger`): timestamped lines appended to
 * `logs/user/entry_script_log/<node>/<process>.log.txt`, and the error log
 * `logs/user/error/<node>/<process>.txt` that receives the stack of every failed run().
 *
 * Writes are synchronous on purpose: a worker can be SIGKILLed at any moment (timeout, OOM) and the
 * lines written before that must be on disk; the files are opened lazily, once.
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { format } from 'node:util';

import type { EntryScriptLogger } from './entry-script-contract.js';

type Level = 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR';
const RANK: Record<Level, number> = { DEBUG: 10, INFO: 20, WARNING: 30, ERROR: 40 };

/** An append-only file opened on first write (its folder is created then). */
export class AppendFile {
  private fd: number | undefined;
  constructor(readonly path: string) {}

  append(text: string): void {
    if (this.fd === undefined) {
      mkdirSync(dirname(this.path), { recursive: true });
      this.fd = openSync(this.path, 'a');
    }
    writeSync(this.fd, text);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/**
 * A logger writing `<ISO time>|<processName>|<LEVEL>|<message>` lines; lines below `level` are skipped
 * (Azure's logging_level: DEBUG, INFO or WARNING).
 */
export function createEntryScriptLogger(
  file: AppendFile,
  processName: string,
  level: 'DEBUG' | 'INFO' | 'WARNING',
): EntryScriptLogger {
  const threshold = RANK[level];
  const write = (lineLevel: Level, args: unknown[]): void => {
    if (RANK[lineLevel] < threshold) return;
    file.append(`${new Date().toISOString()}|${processName}|${lineLevel}|${format(...args)}\n`);
  };
  return {
    debug: (...args) => write('DEBUG', args),
    info: (...args) => write('INFO', args),
    warn: (...args) => write('WARNING', args),
    error: (...args) => write('ERROR', args),
  };
}

/**
 * `<logs>/user/error/<node>/<process>.txt`, derived from the entry-script log file
 * `<logs>/user/entry_script_log/<node>/<process>.log.txt` (the layout of src/log/layout.ts, which the
 * worker may not import).
 */
export function errorLogPathFor(userLogFile: string): string {
  const nodeFolder = dirname(userLogFile);
  const userFolder = dirname(dirname(nodeFolder));
  const processFile = basename(userLogFile).replace(/\.log\.txt$/, '.txt');
  return join(userFolder, 'error', basename(nodeFolder), processFile);
}
