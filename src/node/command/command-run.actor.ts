/**
 * One command run on this node, as a callback actor the node machine spawns per CommandRun and stops
 * when the node stops (which kills the process group). It
 *   1. makes a fresh working directory under the node's cache, copies the code snapshot into it and
 *      makes its `outputs/` and `logs/` folders (as Azure's runs have them),
 *   2. makes the outputs (a folder for uri_folder/mltable; the parent folder of a uri_file), emptied
 *      first when the run is a rerun after a lost node,
 *   3. runs the command (run-command.ts), streaming its output as command_log when asked,
 *   4. copies what the command wrote to `./outputs` into the `artifacts` output's `outputs/` folder,
 *   5. sends command_ended exactly once (also when it could not start, or was cancelled) and tells the
 *      node (`command.finished`), then removes the working directory.
 * Receives `command.cancel`: the process group is killed; command_ended still follows, cancelled.
 * Receives `command.fence` (the node lost the coordinator for longer than its session timeout, so the
 * step runs elsewhere): the group is SIGKILLed at once and nothing more is written to the outputs (no
 * artifacts copied); command_ended (cancelled, with this run's attempt) still follows, for the
 * coordinator to ignore.
 */
import { cp, mkdir, mkdtemp, open, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';

import type { Logger } from 'pino';
import { fromCallback } from 'xstate';

import type { CommandEnded, CommandRun } from '../../gen/parajob/v1/parajob.js';
import type { JobOutbox } from '../outbox.js';
import { readOutputTail } from './output-tail.js';
import { type CommandExit, runCommand, type RunningCommand } from './run-command.js';

/** Azure's name for a command's interleaved stdout and stderr, inside the step's `user_logs/`. */
export const STD_LOG_FILE = 'std_log.txt';
/** The output that is the step's artifact folder (Azure's default artifacts). */
const ARTIFACTS_OUTPUT = 'artifacts';
/** How often streamed logs are read from std_log.txt. */
const LOG_POLL_MS = 200;
/** Largest command_log chunk. */
const LOG_CHUNK_BYTES = 64 * 1024;

export interface CommandRunInput {
  readonly run: CommandRun;
  readonly cacheDir: string;
  readonly ensureCode: (hash: string) => Promise<string>;
  readonly outbox: JobOutbox;
  readonly logger: Logger;
  readonly killGraceMs: number;
}

export type CommandRunEvent =
  | { readonly type: 'command.cancel'; readonly reason: string }
  | { readonly type: 'command.fence'; readonly reason: string };
export type CommandRunNotice = { readonly type: 'command.finished'; readonly jobId: string };

/**
 * Makes every output exist before the command starts. A run again after a lost node (attempt > 1)
 * first empties them: what the lost run half-wrote is neither kept nor duplicated.
 */
async function makeOutputs(run: CommandRun): Promise<void> {
  for (const output of run.outputs) {
    if (run.attempt > 1) await rm(output.path, { recursive: true, force: true });
    await mkdir(output.type === 'uri_file' ? dirname(output.path) : output.path, { recursive: true });
  }
}

/** A fresh working directory holding the code snapshot (empty without code). */
async function makeWorkDir(input: CommandRunInput): Promise<string> {
  const root = join(input.cacheDir, 'work');
  await mkdir(root, { recursive: true });
  const dir = await mkdtemp(join(root, `${input.run.jobId.replace(/[^A-Za-z0-9._-]+/g, '_')}-`));
  if (input.run.codeHash) await cp(await input.ensureCode(input.run.codeHash), dir, { recursive: true });
  // Azure's working directory has ./outputs (and ./logs) before the command starts: its samples write
  // `echo world > ./outputs/world.txt` without making the folder.
  await mkdir(join(dir, 'outputs'), { recursive: true });
  await mkdir(join(dir, 'logs'), { recursive: true });
  return dir;
}

async function copyArtifacts(run: CommandRun, workDir: string): Promise<void> {
  const artifacts = run.outputs.find((output) => output.name === ARTIFACTS_OUTPUT);
  const written = join(workDir, 'outputs');
  if (artifacts === undefined || !(await stat(written).catch(() => undefined))?.isDirectory()) return;
  await cp(written, join(artifacts.path, 'outputs'), { recursive: true });
}

/** Sends what was appended to the log file since `offset`; returns the new offset. */
async function shipNewLog(run: CommandRun, file: string, offset: number, outbox: JobOutbox): Promise<number> {
  const handle = await open(file, 'r').catch(() => undefined);
  if (handle === undefined) return offset;
  try {
    let position = offset;
    for (;;) {
      const buffer = Buffer.alloc(LOG_CHUNK_BYTES);
      const { bytesRead } = await handle.read(buffer, 0, LOG_CHUNK_BYTES, position);
      if (bytesRead === 0) return position;
      position += bytesRead;
      outbox.send({
        kind: {
          $case: 'commandLog',
          value: { jobId: run.jobId, attempt: run.attempt, text: buffer.subarray(0, bytesRead).toString('utf8') },
        },
      });
    }
  } finally {
    await handle.close();
  }
}

function endedMessage(run: CommandRun, exit: CommandExit, errorMessage: string, outputTail = ''): CommandEnded {
  return {
    jobId: run.jobId,
    attempt: run.attempt,
    outputTail,
    exitCode: exit.exitCode,
    signal: exit.signal,
    timedOut: exit.timedOut,
    cancelled: exit.cancelled,
    errorMessage: errorMessage || exit.spawnError,
    startedAtMs: exit.startedAtMs,
    endedAtMs: exit.endedAtMs,
  };
}

function notRun(cancelled: boolean, startedAtMs: number): CommandExit {
  return { exitCode: -1, signal: '', timedOut: false, cancelled, spawnError: '', startedAtMs, endedAtMs: Date.now() };
}

/** The actor (see the module comment). */
export const commandRunActor = fromCallback<CommandRunEvent, CommandRunInput>(({ input, receive, sendBack }) => {
  const { run, logger } = input;
  let running: RunningCommand | undefined;
  let cancelled = false;
  let fenced = false;
  receive((event) => {
    if (event.type === 'command.fence') {
      if (fenced) return;
      fenced = true;
      cancelled = true;
      logger.warn({ reason: event.reason }, 'command killed: its step runs elsewhere');
      running?.kill();
      return;
    }
    if (cancelled) return;
    cancelled = true;
    logger.info({ reason: event.reason }, 'command cancelled');
    running?.cancel();
  });

  const work = async (): Promise<CommandEnded> => {
    const startedAtMs = Date.now();
    const logFile = join(run.logDir, STD_LOG_FILE);
    let workDir: string | undefined;
    try {
      await makeOutputs(run);
      workDir = await makeWorkDir(input);
      if (cancelled) return endedMessage(run, notRun(true, startedAtMs), '');
      // A rerun appends to the log of the lost run, which was shipped already.
      const logStart = (await stat(logFile).catch(() => undefined))?.size ?? 0;
      running = runCommand({
        command: run.command,
        cwd: workDir,
        env: run.environmentVariables,
        logFile,
        timeoutMs: run.timeoutMs,
        killGraceMs: input.killGraceMs,
      });
      logger.info({ pid: running.pid, workDir }, 'command started');
      // Reads of the log are chained, so a chunk is never shipped twice.
      let offset = logStart;
      let shipping = Promise.resolve();
      const ship = (): Promise<void> =>
        (shipping = shipping.then(async () => {
          offset = await shipNewLog(run, logFile, offset, input.outbox);
        }));
      const poll = run.streamLogs ? setInterval(() => void ship(), LOG_POLL_MS) : undefined;
      const exit = await running.exited;
      if (poll !== undefined) clearInterval(poll);
      if (run.streamLogs) await ship();
      // A fenced run's step runs elsewhere: it must not touch the outputs any more.
      if (!fenced) await copyArtifacts(run, workDir);
      logger.info({ ...exit }, 'command ended');
      const failed = exit.exitCode !== 0 || exit.signal !== '';
      return endedMessage(run, exit, '', failed ? await readOutputTail(logFile, logStart) : '');
    } catch (error) {
      logger.error({ err: error }, 'command could not run');
      return endedMessage(run, notRun(cancelled, startedAtMs), error instanceof Error ? error.message : String(error));
    } finally {
      if (workDir !== undefined) await rm(workDir, { recursive: true, force: true }).catch(() => undefined);
    }
  };

  void work().then((ended) => {
    input.outbox.send({ kind: { $case: 'commandEnded', value: ended } });
    sendBack({ type: 'command.finished', jobId: run.jobId } satisfies CommandRunNotice);
  });
  // Stopped by the node (node stopping): kill the process group; command_ended still goes out.
  return () => {
    cancelled = true;
    running?.cancel();
  };
});
