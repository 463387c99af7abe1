/**
 * `parajob job create|stream|show|list|cancel|rerun|delete`: the client commands against a running coordinator
 * (`--coordinator HOST:PORT`, env PARAJOB_COORDINATOR, default 127.0.0.1:7070), a thin face on the
 * SDK's ParajobClient (src/sdk/client.ts).
 */
import { resolve } from 'node:path';

import type { DialAuth } from '../../auth/dial.js';
import { JobStatus as JobStatusMessage } from '../../gen/parajob/v1/parajob.js';
import { LocalAssetStore } from '../../jobspec/assets/local-store.js';
import { ParajobClient } from '../../sdk/client.js';
import type { JobStreamEvent } from '../../sdk/job-events.js';
import { type CommandIo, writeLine } from '../command-io.js';
import { describeError } from '../describe-error.js';
import { ExitCode, exitCodeForError, exitCodeForStatus } from '../exit-codes.js';
import { withForceRerun } from '../force-rerun.js';
import { onInterrupts } from '../interrupts.js';
import { formatJobList, formatJobStatus, formatJobSummary } from '../job-status-text.js';
import { createProgressDisplay, type ProgressDisplay } from '../progress-display.js';
import { isTerminal, stateLabel } from '../progress-format.js';
import { jobJson } from '../step-views.js';

/** Where the coordinator is and how to prove who we are to it. */
interface ClientTarget {
  readonly coordinator: string;
  /** Token and CA (src/auth/dial.ts); undefined: plaintext, no token. */
  readonly auth?: DialAuth;
}

/** Runs `body` with a client for the target, turning any error into its message and exit code. */
async function withClient(
  target: ClientTarget,
  io: CommandIo,
  body: (client: ParajobClient) => Promise<number>,
): Promise<number> {
  const address = target.coordinator;
  const auth = target.auth ?? {};
  const ca = auth.caFile ?? auth.caHash;
  const client = new ParajobClient({
    address,
    ...(auth.token === undefined ? {} : { token: auth.token }),
    ...(ca === undefined ? {} : { ca }),
    // The flags already fell back to the environment; an absent flag means none.
    env: {},
  });
  try {
    return await body(client);
  } catch (error) {
    writeLine(io.stderr, describeError(error, { coordinator: address }));
    return exitCodeForError(error);
  } finally {
    client.close();
  }
}

export interface JobCreateOptions {
  readonly file: string;
  readonly coordinator: string;
  readonly auth?: DialAuth;
  readonly runDir?: string;
  /** `--set PATH=VALUE` overrides. */
  readonly set?: readonly string[];
  /** Data dir whose assets the local validation uses. */
  readonly dataDir?: string;
  /** Job chaos plan (src/chaos/model.ts), already checked by the option parser. */
  readonly chaos?: string;
  /** Run every step even when an earlier run could be reused (`--set settings.force_rerun=true`). */
  readonly forceRerun?: boolean;
}

/**
 * `job create`: validates the spec locally, snapshots its code, submits. Warnings go to stderr; stdout
 * gets one human line and then the job id alone on the last line, for `ID=$(parajob job create ... | tail -1)`.
 */
export async function jobCreateCommand(options: JobCreateOptions, io: CommandIo): Promise<number> {
  return withClient(options, io, async (client) => {
    const submitted = await client.jobs.createOrUpdate(options.file, {
      ...(options.runDir === undefined ? {} : { runDir: resolve(options.runDir) }),
      ...(options.dataDir === undefined ? {} : { assets: new LocalAssetStore(options.dataDir) }),
      ...(options.chaos === undefined ? {} : { chaos: options.chaos }),
      sets: withForceRerun(options.set, options.forceRerun),
    });
    for (const warning of submitted.warnings) writeLine(io.stderr, `warning: ${warning}`);
    writeLine(
      io.stdout,
      `Submitted job ${submitted.jobId} to ${options.coordinator}; run directory ${submitted.runDir}`,
    );
    writeLine(io.stdout, submitted.jobId);
    return ExitCode.succeeded;
  });
}

export interface JobStreamOptions {
  readonly coordinator: string;
  readonly auth?: DialAuth;
  readonly json?: boolean;
  /** Print command steps' output (to stdout, each line prefixed with its step). */
  readonly logs?: boolean;
}

/**
 * `job stream ID`: follows the job to its end with the progress display and prints the summary; the
 * exit code is the job's (0/1/2). Ctrl-C stops following (the job keeps running) and exits 130.
 */
export async function jobStreamCommand(jobId: string, options: JobStreamOptions, io: CommandIo): Promise<number> {
  return withClient(options, io, async (client) => {
    const display = createProgressDisplay({ stream: io.stderr });
    const stop = new AbortController();
    const removeInterrupts = onInterrupts({
      first: () => stop.abort(),
      second: () => process.exit(ExitCode.interrupted),
    });
    try {
      const onLog = options.logs ? stepLogPrinter(io) : undefined;
      const final = await client.jobs.wait(jobId, {
        signal: stop.signal,
        onEvent: (event) => showEvent(display, event),
        ...(onLog ? { onLog } : {}),
      });
      display.stop();
      writeLine(
        io.stdout,
        options.json ? JSON.stringify(JobStatusMessage.toJSON(final), null, 2) : formatJobSummary(final),
      );
      if (!isTerminal(final.state)) {
        writeLine(io.stderr, `Stopped following job ${jobId}; it is still ${stateLabel(final.state)}.`);
        return ExitCode.interrupted;
      }
      return exitCodeForStatus(final);
    } finally {
      display.stop();
      removeInterrupts();
    }
  });
}

export interface JobQueryOptions {
  readonly coordinator: string;
  readonly auth?: DialAuth;
  readonly json?: boolean;
}

/** `job show ID`: the status as text (or JSON); exit 0 when found, 2 for an unknown id. */
export async function jobShowCommand(jobId: string, options: JobQueryOptions, io: CommandIo): Promise<number> {
  return withClient(options, io, async (client) => {
    const status = await client.jobs.get(jobId);
    writeLine(io.stdout, options.json ? JSON.stringify(jobJson(status), null, 2) : formatJobStatus(status));
    return ExitCode.succeeded;
  });
}

/** `job list`: every job the coordinator knows, as a table (or a JSON array). */
export async function jobListCommand(options: JobQueryOptions, io: CommandIo): Promise<number> {
  return withClient(options, io, async (client) => {
    const jobs = await client.jobs.list();
    writeLine(
      io.stdout,
      options.json
        ? JSON.stringify(
            jobs.map((job) => JobStatusMessage.toJSON(job)),
            null,
            2,
          )
        : formatJobList(jobs),
    );
    return ExitCode.succeeded;
  });
}

/** `job cancel ID`: asks for the cancellation and prints the state right after; exit 0 once accepted. */
export async function jobCancelCommand(jobId: string, options: JobQueryOptions, io: CommandIo): Promise<number> {
  return withClient(options, io, async (client) => {
    const status = await client.jobs.cancel(jobId, 'cancelled with parajob job cancel');
    if (options.json) writeLine(io.stdout, JSON.stringify(JobStatusMessage.toJSON(status), null, 2));
    else writeLine(io.stdout, `Cancel requested for job ${jobId}; it is now ${stateLabel(status.state)}.`);
    return ExitCode.succeeded;
  });
}

export interface JobRerunOptions extends JobQueryOptions {
  readonly fromScratch?: boolean;
}

/**
 * `job rerun ID`: reruns a failed or cancelled job as a new job; stdout gets one human line and then
 * the new job id alone on the last line (follow it with `job stream`).
 */
export async function jobRerunCommand(jobId: string, options: JobRerunOptions, io: CommandIo): Promise<number> {
  return withClient(options, io, async (client) => {
    const rerun = await client.jobs.rerun(jobId, { fromScratch: options.fromScratch === true });
    for (const warning of rerun.warnings) writeLine(io.stderr, `warning: ${warning}`);
    if (options.json) writeLine(io.stdout, JSON.stringify(rerun, null, 2));
    else {
      const reuse = options.fromScratch ? 'reusing nothing' : 'reusing what succeeded';
      writeLine(io.stdout, `Rerunning job ${jobId} as job ${rerun.jobId} (${reuse}); run directory ${rerun.runDir}`);
      writeLine(io.stdout, rerun.jobId);
    }
    return ExitCode.succeeded;
  });
}

/** `job delete ID`: forgets an ended job and removes its run directory. */
export async function jobDeleteCommand(jobId: string, options: JobQueryOptions, io: CommandIo): Promise<number> {
  return withClient(options, io, async (client) => {
    const deleted = await client.jobs.delete(jobId);
    if (options.json) writeLine(io.stdout, JSON.stringify(deleted, null, 2));
    else if (deleted.runDirRemoved)
      writeLine(io.stdout, `Deleted job ${jobId} and its run directory ${deleted.runDir}.`);
    else
      writeLine(
        io.stdout,
        `Deleted job ${jobId}; its run directory ${deleted.runDir} is outside the coordinator's data dir and was left in place.`,
      );
    return ExitCode.succeeded;
  });
}

/** Feeds the progress display from the client's events: statuses and the coordinator's lines. */
function showEvent(display: ProgressDisplay, event: JobStreamEvent): void {
  if (event.type === 'status') display.update(event.status);
  else if (event.type === 'log') display.message({ level: event.level, text: event.text, atMs: event.atMs });
}

/** Prints command output line by line, each prefixed with `[step]`; a partial line waits for its end. */
function stepLogPrinter(io: CommandIo): (stepName: string, text: string) => void {
  const pending = new Map<string, string>();
  return (stepName, text) => {
    const lines = ((pending.get(stepName) ?? '') + text).split('\n');
    pending.set(stepName, lines.pop() ?? '');
    for (const line of lines) writeLine(io.stdout, `[${stepName}] ${line}`);
  };
}
