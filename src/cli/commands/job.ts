/**
 * `parajob job create|stream|show|list|cancel`: the client commands against a running coordinator
 * (`--coordinator HOST:PORT`, env PARAJOB_COORDINATOR, default 127.0.0.1:7070).
 */
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { type DialAuth, resolveDial } from '../../auth/dial.js';
import { JobStatus as JobStatusMessage } from '../../gen/parajob/v1/parajob.js';
import { JobsApi } from '../../rpc/jobs-client.js';
import { type CommandIo, writeLine } from '../command-io.js';
import { describeError } from '../describe-error.js';
import { ExitCode, exitCodeForError, exitCodeForStatus } from '../exit-codes.js';
import { followJob } from '../follow-job.js';
import { onInterrupts } from '../interrupts.js';
import { formatJobList, formatJobStatus, formatJobSummary } from '../job-status-text.js';
import { prepareSubmission } from '../prepare-submission.js';
import { createProgressDisplay } from '../progress-display.js';
import { isTerminal, stateLabel } from '../progress-format.js';

/** Where the coordinator is and how to prove who we are to it. */
interface ClientTarget {
  readonly coordinator: string;
  /** Token and CA (src/auth/dial.ts); undefined: plaintext, no token. */
  readonly auth?: DialAuth;
}

/** Runs `body` with a client for the target, turning any error into its message and exit code. */
async function withApi(target: ClientTarget, io: CommandIo, body: (api: JobsApi) => Promise<number>): Promise<number> {
  const address = target.coordinator;
  let api: JobsApi | undefined;
  try {
    api = new JobsApi(address, { dial: await resolveDial(address, target.auth ?? {}) });
    return await body(api);
  } catch (error) {
    writeLine(io.stderr, describeError(error, { coordinator: address }));
    return exitCodeForError(error);
  } finally {
    api?.close();
  }
}

export interface JobCreateOptions {
  readonly file: string;
  readonly coordinator: string;
  readonly auth?: DialAuth;
  readonly runDir?: string;
  /** Job chaos plan (src/chaos/model.ts), already checked by the option parser. */
  readonly chaos?: string;
}

/**
 * `job create`: validates the spec locally, snapshots its code, submits. Warnings go to stderr; stdout
 * gets one human line and then the job id alone on the last line, for `ID=$(parajob job create ... | tail -1)`.
 */
export async function jobCreateCommand(options: JobCreateOptions, io: CommandIo): Promise<number> {
  const runDir = options.runDir === undefined ? undefined : resolve(options.runDir);
  let prepared;
  try {
    // Default outputs depend on the run dir the coordinator will pick; nothing is written here.
    prepared = await prepareSubmission(options.file, { runDir, provisionalRunDir: join(tmpdir(), 'parajob-validate') });
  } catch (error) {
    writeLine(io.stderr, describeError(error));
    return exitCodeForError(error);
  }
  const local = prepared.compiled.warnings;
  for (const warning of local) writeLine(io.stderr, `warning: ${warning}`);
  return withApi(options, io, async (api) => {
    const submitted = await api.submit(
      options.chaos === undefined ? prepared.request : { ...prepared.request, chaos: options.chaos },
    );
    for (const warning of submitted.warnings) if (!local.includes(warning)) writeLine(io.stderr, `warning: ${warning}`);
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
}

/**
 * `job stream ID`: follows the job to its end with the progress display and prints the summary; the
 * exit code is the job's (0/1/2). Ctrl-C stops following (the job keeps running) and exits 130.
 */
export async function jobStreamCommand(jobId: string, options: JobStreamOptions, io: CommandIo): Promise<number> {
  return withApi(options, io, async (api) => {
    const display = createProgressDisplay({ stream: io.stderr });
    const stop = new AbortController();
    const removeInterrupts = onInterrupts({
      first: () => stop.abort(),
      second: () => process.exit(ExitCode.interrupted),
    });
    try {
      const final = await followJob(api, jobId, { display, signal: stop.signal });
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
  return withApi(options, io, async (api) => {
    const status = await api.get(jobId);
    writeLine(
      io.stdout,
      options.json ? JSON.stringify(JobStatusMessage.toJSON(status), null, 2) : formatJobStatus(status),
    );
    return ExitCode.succeeded;
  });
}

/** `job list`: every job the coordinator knows, as a table (or a JSON array). */
export async function jobListCommand(options: JobQueryOptions, io: CommandIo): Promise<number> {
  return withApi(options, io, async (api) => {
    const jobs = await api.list();
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
  return withApi(options, io, async (api) => {
    const status = await api.cancel(jobId, 'cancelled with parajob job cancel');
    if (options.json) writeLine(io.stdout, JSON.stringify(JobStatusMessage.toJSON(status), null, 2));
    else writeLine(io.stdout, `Cancel requested for job ${jobId}; it is now ${stateLabel(status.state)}.`);
    return ExitCode.succeeded;
  });
}
