/**
 * `parajob run <job.yml>`: the whole cluster on this machine, for one job. Validates the spec, starts
 * an embedded coordinator on 127.0.0.1 (any free port), spawns `instance_count` real node processes,
 * submits over gRPC like any client, follows the job with a live progress line, prints where the
 * outputs and logs are, then stops the nodes and the coordinator.
 *
 * Exit codes (src/cli/exit-codes.ts): 0 succeeded, 1 failed or cancelled, 2 invalid input, 3 internal;
 * the first Ctrl-C cancels the job and waits (bounded) for it to end, a second exits 130 at once.
 */
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';

import { CA_ENV, resolveDial, TOKEN_ENV } from '../../auth/dial.js';
import { MemoryTokens } from '../../auth/tokens.js';
import {
  JobState,
  type JobStatus,
  JobStatus as JobStatusMessage,
  type OutputLocation,
} from '../../gen/parajob/v1/parajob.js';
import { LocalAssetStore } from '../../jobspec/assets/local-store.js';
import { compileJobSpec } from '../../jobspec/load.js';
import type { CompiledJob } from '../../jobspec/model.js';
import { YamlSource } from '../../jobspec/yaml-source.js';
import { createRootLogger } from '../../log/logger.js';
import { JobsApi, type SubmitJobInput } from '../../rpc/jobs-client.js';
import { followJob } from '../../sdk/follow-job.js';
import {
  type CompiledSubmission,
  compileSubmission,
  finishSubmission,
  nodesPerCompute,
  type PreparedSubmission,
} from '../../sdk/submission.js';
import { type CommandIo, writeLine } from '../command-io.js';
import { describeError } from '../describe-error.js';
import { ExitCode, exitCodeForError, exitCodeForStatus } from '../exit-codes.js';
import { withForceRerun } from '../force-rerun.js';
import { onInterrupts } from '../interrupts.js';
import { formatJobSummary } from '../job-status-text.js';
import { type NodeProcessGroup, spawnNodeProcesses } from '../node-processes.js';
import { createProgressDisplay } from '../progress-display.js';
import { isTerminal } from '../progress-format.js';
import { webUiLine, webUiSetting } from '../web-ui-options.js';

export interface RunCommandOptions {
  /** Run directory for the job; undefined: `<data dir>/runs/<job id>`. */
  readonly runDir?: string;
  /** The embedded coordinator's data directory. */
  readonly dataDir: string;
  /** `--set PATH=VALUE` overrides. */
  readonly set?: readonly string[];
  /** Node processes per compute pool; undefined: the largest instance_count of the steps on it. */
  readonly nodes?: number;
  /** Print the final status as JSON on stdout instead of the summary. */
  readonly json?: boolean;
  /** Log level of the embedded coordinator and the nodes. @default 'info' */
  readonly logLevel?: string;
  /** Job chaos plan (src/chaos/model.ts), already checked by the option parser. */
  readonly chaos?: string;
  /** Python interpreter for `.py` entry scripts, passed to every node as `--python`. */
  readonly python?: string;
  /** Keep the embedded coordinator's journal (hidden `--journal`: the benchmarks measure its cost). */
  readonly journal?: boolean;
  /**
   * Run every step even when an earlier run could be reused: `--set settings.force_rerun=true` (the one
   * way in, kept with the spec; a standalone parallel or command file takes `settings.force_rerun` too).
   */
  readonly forceRerun?: boolean;
  /** Serve the web UI for the length of the run, on these flags. */
  readonly ui?: boolean;
  readonly httpPort?: number;
  readonly httpHost?: string;
}

/** After the first Ctrl-C, how long to wait for the cancelled job to end, in milliseconds. */
export const CANCEL_WAIT_MS = 60_000;

/** Runs `parajob run`; resolves with the exit code. */
export async function runCommand(file: string, options: RunCommandOptions, io: CommandIo): Promise<number> {
  const dataDir = resolve(options.dataDir);
  const runDir = options.runDir === undefined ? undefined : resolve(options.runDir);
  const submissionOptions = {
    runDir,
    provisionalRunDir: join(dataDir, 'runs', 'pending'),
    sets: withForceRerun(options.set, options.forceRerun),
    assets: new LocalAssetStore(dataDir),
  };
  let spec: CompiledSubmission;
  try {
    spec = await compileSubmission(file, submissionOptions);
  } catch (error) {
    writeLine(io.stderr, describeError(error));
    return exitCodeForError(error);
  }
  for (const warning of spec.compiled.warnings) writeLine(io.stderr, `warning: ${warning}`);

  await mkdir(dataDir, { recursive: true });
  const display = createProgressDisplay({ stream: io.stderr });
  const follow = new AbortController();
  let api: JobsApi | undefined;
  let cancelRequested = false;
  let nodesGone = false;
  let jobId: string | undefined;
  const pools = nodesPerCompute(spec.compiled, options.nodes);
  const nodeLogDir = join(dataDir, 'nodes');
  // The embedded coordinator is private to this run: its own nodes and client get a fresh token each,
  // so other users of this machine cannot submit to it or attach to it.
  const runTokens = new MemoryTokens();
  const nodeToken = runTokens.mint('node', 'parajob run nodes');
  const clientToken = runTokens.mint('client', 'parajob run client');
  // The nodes start as soon as the spec says how many: their start-up (loading Node and parajob)
  // overlaps the MLTable checks, the code snapshots and the coordinator's loading and start, and
  // they learn its address on stdin once it listens.
  const nodes: NodeProcessGroup = spawnNodeProcesses({
    coordinator: undefined,
    pools,
    logDir: nodeLogDir,
    // A PARAJOB_CA of the user's shell is for remote clusters, not for this plaintext loopback one.
    env: { [TOKEN_ENV]: nodeToken, [CA_ENV]: '' },
    extraArgs: [
      ...(options.logLevel ? ['--log-level', options.logLevel] : []),
      ...(options.python ? ['--python', options.python] : []),
    ],
    onUnexpectedExit: (node) => {
      display.message({
        level: 'warn',
        text: `${node.name} exited unexpectedly (${node.exit?.signal ?? `code ${node.exit?.code}`}); its log: ${node.logFile}`,
        atMs: Date.now(),
      });
      // With no node left the job could only wait forever: end it.
      if (nodes.nodes.every((n) => n.exit !== undefined)) {
        display.message({
          level: 'error',
          text: 'every node process has exited: cancelling the job',
          atMs: Date.now(),
        });
        nodesGone = true;
        if (jobId !== undefined && api !== undefined) {
          api.cancel(jobId, 'every node process of parajob run exited; see their logs').catch(() => follow.abort());
        } else follow.abort();
      }
    },
  });
  let prepared: PreparedSubmission;
  let startCoordinator;
  try {
    // The coordinator's code (xstate machines, partitioning, outputs, journal) is loaded only now,
    // while the node processes start on the other cores.
    [prepared, { startCoordinator }] = await Promise.all([
      finishSubmission(spec.compiled, spec.specYaml, spec.specPath, submissionOptions),
      import('../../coordinator/index.js'),
    ]);
  } catch (error) {
    nodes.kill();
    writeLine(io.stderr, describeError(error));
    return exitCodeForError(error);
  }
  const level = (options.logLevel ?? 'info') as 'info';
  const logger = createRootLogger({ role: 'coordinator', level, file: join(dataDir, 'coordinator.log') });
  let coordinator;
  try {
    // One job, one process: nothing to resume later (a crashed `parajob run` is run again), so no
    // journal unless asked for (the benchmarks measure its cost).
    coordinator = await startCoordinator({
      host: '127.0.0.1',
      port: 0,
      dataDir,
      logger,
      journal: options.journal === true,
      security: { auth: { requireAuth: true, tokens: runTokens } },
      // No path roots: only this run's own client holds a token, and it is the user who could read and
      // write any of those paths anyway (an Azure sample's `path: ../data` must run as written). The
      // checks that hold always (entry script inside its code, no reused run dir) still apply.
      ...(options.ui === true ? { http: webUiSetting(options) } : {}),
    });
  } catch (error) {
    nodes.kill();
    writeLine(io.stderr, describeError(error));
    return exitCodeForError(error);
  }
  const address = `127.0.0.1:${coordinator.port}`;
  nodes.connect(address);
  api = new JobsApi(address, { dial: await resolveDial(address, { token: clientToken }) });
  if (coordinator.webUrl !== undefined) writeLine(io.stderr, webUiLine(coordinator.webUrl));
  writeLine(
    io.stderr,
    `Embedded coordinator on ${address} (log ${join(dataDir, 'coordinator.log')}); started ${describePools(pools)} (logs in ${nodeLogDir})`,
  );

  let cancelTimer: NodeJS.Timeout | undefined;
  const removeInterrupts = onInterrupts({
    first: () => {
      cancelRequested = true;
      display.message({
        level: 'warn',
        text: 'Interrupted: cancelling the job (Ctrl-C again to quit at once)',
        atMs: Date.now(),
      });
      if (jobId !== undefined) api?.cancel(jobId, 'cancelled by the user (Ctrl-C)').catch(() => follow.abort());
      else follow.abort();
      // Bounded: a cancel that never completes must not keep the user waiting forever.
      cancelTimer = setTimeout(() => follow.abort(), CANCEL_WAIT_MS);
      cancelTimer.unref();
    },
    second: () => {
      display.stop();
      writeLine(io.stderr, 'Interrupted twice: stopping now.');
      nodes.kill();
      process.exit(ExitCode.interrupted);
    },
  });

  try {
    const submitted = await api.submit({
      ...prepared.request,
      ...(options.chaos === undefined ? {} : { chaos: options.chaos }),
    });
    jobId = submitted.jobId;
    for (const warning of submitted.warnings) {
      if (!prepared.compiled.warnings.includes(warning)) writeLine(io.stderr, `warning: ${warning}`);
    }
    // With --json, stdout carries only the final JSON document.
    writeLine(options.json ? io.stderr : io.stdout, `Job ${jobId} submitted; run directory ${submitted.runDir}`);
    // The user may have pressed Ctrl-C while the submission was in flight.
    if (cancelRequested) await api.cancel(jobId, 'cancelled by the user (Ctrl-C)');
    if (nodesGone) await api.cancel(jobId, 'every node process of parajob run exited; see their logs');
    const final = await followJob(api, jobId, { display, signal: follow.signal });
    display.stop();
    const withOutputs = withOutputPaths(final, prepared.request, submitted.runDir, dataDir);
    writeLine(
      io.stdout,
      options.json ? JSON.stringify(JobStatusMessage.toJSON(withOutputs), null, 2) : formatJobSummary(withOutputs),
    );
    if (!isTerminal(final.state)) {
      writeLine(io.stderr, `error: the job did not end within ${CANCEL_WAIT_MS / 1000} s of the cancel request`);
      return ExitCode.jobFailed;
    }
    if (nodesGone && final.state !== JobState.JOB_STATE_SUCCEEDED) {
      writeLine(io.stderr, `error: the node processes exited; their logs are in ${nodeLogDir}`);
      return ExitCode.unavailable;
    }
    return cancelRequested && final.state !== JobState.JOB_STATE_SUCCEEDED
      ? ExitCode.jobFailed
      : exitCodeForStatus(final);
  } catch (error) {
    display.stop();
    writeLine(io.stderr, describeError(error, { coordinator: address }));
    return exitCodeForError(error);
  } finally {
    clearTimeout(cancelTimer);
    removeInterrupts();
    api.close();
    // The job is over: the nodes (SIGTERM) and the coordinator stop side by side; the coordinator has
    // nothing left for a graceful shutdown to wait for.
    await Promise.all([nodes.stop(), coordinator.stop({ graceMs: 0 })]);
    logger.flush();
  }
}

function describePools(pools: ReadonlyMap<string, number>): string {
  return [...pools]
    .map(([compute, count]) => `${count} node${count === 1 ? '' : 's'} of compute '${compute}'`)
    .join(', ');
}

/**
 * The status with its output paths filled in: the coordinator's when it sent them, else compiled
 * from the submitted YAML against the job's real run directory (default outputs live under it).
 * Compiled from the text sent, not the file, which may have been edited since (and need not be read again).
 */
function withOutputPaths(status: JobStatus, request: SubmitJobInput, runDir: string, dataDir: string): JobStatus {
  if (status.outputs.length > 0 || !runDir) return status;
  let compiled: CompiledJob;
  try {
    compiled = compileJobSpec(YamlSource.parse(request.specPath, request.specYaml), {
      runDir,
      assets: new LocalAssetStore(dataDir),
    });
  } catch {
    return status;
  }
  const outputs: OutputLocation[] = compiled.steps.flatMap((step) =>
    step.outputs.map((output) => ({
      name: compiled.steps.length > 1 ? `${step.name}.${output.name}` : output.name,
      path:
        step.kind === 'parallel' && step.task.appendRowTo === output.name && step.task.appendRowFile
          ? step.task.appendRowFile
          : output.path,
    })),
  );
  return { ...status, outputs };
}
